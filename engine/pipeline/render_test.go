package pipeline

import (
	"bytes"
	"flag"
	"io"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		pipeline, golden string
		render           func(*Pipeline, io.Writer) error
	}{
		{"testdata/ok/full.yaml", "testdata/full.dot.golden", RenderDOT},
		{"testdata/ok/full.yaml", "testdata/full.mermaid.golden", RenderMermaid},
		{"testdata/ok/child.yaml", "testdata/child.dot.golden", RenderDOT},
		{"testdata/ok/child.yaml", "testdata/child.mermaid.golden", RenderMermaid},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			p := loadOK(t, tt.pipeline, Options{})
			var got bytes.Buffer
			if err := tt.render(p, &got); err != nil {
				t.Fatal(err)
			}
			// determinism: a second load renders the same bytes
			var again bytes.Buffer
			if err := tt.render(loadOK(t, tt.pipeline, Options{}), &again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), again.Bytes()) {
				t.Fatalf("two renders differ:\n%s\n---\n%s", got.Bytes(), again.Bytes())
			}
			if *update {
				if err := os.WriteFile(tt.golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(tt.golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("got:\n%s\nwant:\n%s", got.Bytes(), want)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	tests := []struct {
		in, dot, mermaid string
	}{
		{`plain`, `"plain"`, `"plain"`},
		{`say "hi"`, `"say \"hi\""`, `"say #quot;hi#quot;"`},
		{`back\slash`, `"back\\slash"`, `"back\slash"`},
	}
	for _, tt := range tests {
		if got := dotQuote(tt.in); got != tt.dot {
			t.Errorf("dotQuote(%s) got: %s want: %s", tt.in, got, tt.dot)
		}
		if got := mermaidQuote(tt.in); got != tt.mermaid {
			t.Errorf("mermaidQuote(%s) got: %s want: %s", tt.in, got, tt.mermaid)
		}
	}
}
