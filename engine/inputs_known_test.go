package engine

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestKnownInputReader(t *testing.T) {
	changed := errors.New("changed")
	tests := []struct {
		name    string
		touch   bool // write to the file between open and the end of the read
		wantErr error
	}{
		{"unchanged", false, nil},
		{"written to while read", true, changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(p, []byte(`{"a": 1}`), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := f.Stat()
			r := &knownInputReader{f: f, fi: fi, changed: changed}
			defer r.Close()
			if tt.touch {
				if err := os.WriteFile(p, []byte(`{"a": 2}`), 0o644); err != nil {
					t.Fatal(err)
				}
				later := time.Now().Add(time.Second)
				if err := os.Chtimes(p, later, later); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("read: got %q, %v; want error %v", got, err, tt.wantErr)
			}
		})
	}
}
