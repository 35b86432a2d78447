package refdata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "full", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root string
		subdirs    []string
		want       string // "" = no error, else a part of the message
	}{
		{"unset", "", nil, "is not set"},
		{"no subdirs asked", root, nil, ""},
		{"present", root, []string{"full"}, ""},
		{"missing", root, []string{"full", "stage_3_tagged"}, "no such file"},
		{"empty", root, []string{"empty"}, "empty is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(tt.root, tt.subdirs)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got: %v; want: no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got: %v; want: an error containing %q", err, tt.want)
			}
		})
	}
}
