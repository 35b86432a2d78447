package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseInterleavesFlagsAndPositionals(t *testing.T) {
	tests := []struct {
		args      string
		wantPos   string
		wantForce bool
	}{
		{"p.yaml", "p.yaml", false},
		{"p.yaml --force a b", "p.yaml a b", true},
		{"--force p.yaml a", "p.yaml a", true},
		{"p.yaml -- --force -x", "p.yaml --force -x", false},
		{"p.yaml a -- -x -y", "p.yaml a -x -y", false},
		{"-- p.yaml -x", "p.yaml -x", false},
		{"--force -- p.yaml -x -y", "p.yaml -x -y", true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		force := fs.Bool("force", false, "")
		pos, err := parse(fs, strings.Fields(tt.args))
		if err != nil {
			t.Errorf("parse(%q): %v", tt.args, err)
			continue
		}
		if got := strings.Join(pos, " "); got != tt.wantPos || *force != tt.wantForce {
			t.Errorf("parse(%q):\ngot:  %q force=%v\nwant: %q force=%v", tt.args, got, *force, tt.wantPos, tt.wantForce)
		}
	}
}
