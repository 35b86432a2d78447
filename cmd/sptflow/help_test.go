package main

import (
	"context"
	"testing"
)

func TestSuggest(t *testing.T) {
	names := []string{"run", "status", "log", "diff", "graph", "validate", "gc", "init", "version", "completion", "help"}
	tests := []struct{ in, want string }{
		{"stauts", "status"}, {"rnu", "run"}, {"vesrion", "version"}, {"valid", "validate"},
		{"compl", "completion"}, {"frobnicate", ""}, {"x", ""}, {"hlep", "help"}, {"", ""},
	}
	for _, tt := range tests {
		if got := suggestName(tt.in, names); got != tt.want {
			t.Errorf("suggestName(%q) got: %q want: %q", tt.in, got, tt.want)
		}
	}
}

// Every command has help, answers --help with its flag set, and is listed
// in the usage; every help belongs to a command.
func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands() {
		if name == "__complete" {
			continue
		}
		if _, ok := docFor(name); !ok {
			t.Errorf("command %q has no entry in docs", name)
		}
	}
	for _, d := range docs {
		if commands()[d.name] == nil {
			t.Errorf("docs entry %q names no command", d.name)
			continue
		}
		fs, err := flagSetOf(context.Background(), d.name)
		if err != nil {
			t.Errorf("%s --help: %v", d.name, err)
			continue
		}
		if fs.Name() != d.name {
			t.Errorf("%s --help: flag set named %q", d.name, fs.Name())
		}
		if d.summary == "" || d.text == "" {
			t.Errorf("%s: empty summary or text", d.name)
		}
	}
}
