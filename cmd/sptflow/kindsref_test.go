package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
)

// TestKindsDoc checks that docs/kinds.md is the reference generated from
// the kinds' declarations; -update regenerates it.
func TestKindsDoc(t *testing.T) {
	var buf bytes.Buffer
	writeKindsMarkdown(&buf, kindInfos())
	doc := filepath.Join("..", "..", "docs", "kinds.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(doc, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("docs/kinds.md is stale: run go test ./cmd/sptflow -run TestKindsDoc -update")
	}
}

// TestKindInfos: every registered kind describes itself, and every
// parameter has a type and a doc.
func TestKindInfos(t *testing.T) {
	infos := kindInfos()
	if got, want := len(infos), len(kindList(nil))-len(extraKinds); got != want {
		t.Fatalf("described kinds: got %d, want %d (every kind built with engine.Adapt)", got, want)
	}
	for _, ki := range infos {
		if ki.Version == "" || ki.Summary == "" {
			t.Errorf("kind %s: version %q, summary %q: want both", ki.Name, ki.Version, ki.Summary)
		}
		for _, p := range ki.Params {
			if p.Type == "" || p.Doc == "" {
				t.Errorf("kind %s: parameter %s: type %q, doc %q: want both", ki.Name, p.Name, p.Type, p.Doc)
			}
			if p.Required && p.Default != nil {
				t.Errorf("kind %s: parameter %s is required and has a default", ki.Name, p.Name)
			}
			checkDefaultType(t, ki.Name, p)
		}
	}
}

func checkDefaultType(t *testing.T, kind string, p engine.Param) {
	t.Helper()
	if p.Default == nil {
		return
	}
	ok := true
	switch p.Type {
	case engine.TypeString, engine.TypePath, engine.TypeModel:
		_, ok = p.Default.(string)
	case engine.TypeInt:
		_, ok = p.Default.(int)
	case engine.TypeBool:
		_, ok = p.Default.(bool)
	case engine.TypeStrings:
		_, ok = p.Default.([]string)
	}
	if !ok {
		t.Errorf("kind %s: parameter %s of type %s has a default of type %T", kind, p.Name, p.Type, p.Default)
	}
}

// TestKindsCommandText: the text reference names each kind's parameters.
func TestKindsCommandText(t *testing.T) {
	var buf bytes.Buffer
	writeKindsText(&buf, kindInfos(), true)
	for _, want := range []string{"intervene (version 3)", "    batch_size", "review_rejection_rate", "max_tokens"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("kinds output lacks %q", want)
		}
	}
}
