package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad writes arbitrary bytes as a pipeline file (next to a valid base
// it may extend) and loads it: Load must never panic, and must either
// succeed with a graph or fail with ErrInvalid.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nvars: {v: *c}\n"))
	f.Add([]byte("version: 1\nname: t\nnodes: {a: {kind: x, foreach: {k: [${q}]}}}\n"))
	base, err := os.ReadFile("testdata/ok/base.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "base.yaml"), base, 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var p *Pipeline
		var err error
		done := make(chan bool)
		go func() {
			p, err = Load(path, Options{Sets: map[string]string{}})
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Load took more than 10s on %q", data)
		}
		switch {
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("error does not wrap ErrInvalid: %v", err)
		case err == nil && (p == nil || p.Graph == nil):
			t.Fatal("nil pipeline without an error")
		case err == nil:
			var sink discard
			if err := RenderDOT(p, &sink); err != nil {
				t.Fatal(err)
			}
			if err := RenderMermaid(p, &sink); err != nil {
				t.Fatal(err)
			}
		}
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
