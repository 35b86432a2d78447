//go:build unix

package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWithInput: fn sees the file's bytes; a file that changed since it
// was matched, before or while fn reads it, is an error, never a crash.
func TestWithInput(t *testing.T) {
	content := strings.Repeat("an evaluation result\n", 2000) // several pages
	errFn := errors.New("fn failed")
	tests := []struct {
		name    string
		before  func(p string)           // after matching, before WithInput
		during  func(p string, b []byte) // inside fn, before it reads b
		fnErr   error
		wantErr string
	}{
		{name: "unchanged"},
		{name: "fn's error", fnErr: errFn, wantErr: "fn failed"},
		{name: "grown", before: func(p string) { appendTo(t, p, "more") }, wantErr: "grew since it was matched"},
		{name: "cut short", before: func(p string) { truncate(t, p, 10) }, wantErr: "changed since it was matched"},
		{name: "cut short while read", during: func(p string, _ []byte) { truncate(t, p, 0) }, wantErr: "changed since it was matched"},
		{name: "rewritten while read", during: func(p string, _ []byte) {
			if err := os.WriteFile(p, []byte(strings.ToUpper(content)), 0o644); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "changed since it was matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "results.json")
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			f := InputFile{Abs: p, Rel: "results.json", Name: "results.json", Size: int64(len(content))}
			if tt.before != nil {
				tt.before(p)
			}
			var got string
			err := WithInput(f, func(b []byte) error {
				if tt.during != nil {
					tt.during(p, b)
				}
				got = string(b) // reads every byte (past the end of a cut file: a fault)
				return tt.fnErr
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != content {
				t.Fatalf("got %d bytes, %v; want the file's %d bytes", len(got), err, len(content))
			}
		})
	}
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}
