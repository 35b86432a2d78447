package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadJournalDamage: damaged lines of a journal (a flipped byte, a
// huge garbage line, a truncated last line) cost those lines only.
func TestReadJournalDamage(t *testing.T) {
	good := []string{`{"type":"run_start","pipeline":"p"}`, `{"type":"cached","partition":"a"}`, `{"type":"run_end"}`}
	tests := []struct {
		name  string
		lines []string
		want  int
	}{
		{"intact", good, 3},
		{"flipped byte", []string{good[0], strings.Replace(good[1], "{", "\x7b\x01", 1), good[2]}, 2},
		{"huge garbage line", []string{good[0], strings.Repeat("\xff", 20<<20), good[1], good[2]}, 3},
		{"truncated last line", []string{good[0], good[1], good[2][:5]}, 2},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		text := strings.Join(tt.lines, "\n")
		if tt.name != "truncated last line" {
			text += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		evs, err := ReadJournal(dir)
		if err != nil || len(evs) != tt.want {
			t.Errorf("%s: got %d events, %v; want %d, no error", tt.name, len(evs), err, tt.want)
		}
	}
}
