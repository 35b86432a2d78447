package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fieldErr is a ValidateModel error about one field, as llm.FieldError.
type fieldErr struct {
	path []string
	msg  string
}

func (e fieldErr) Error() string       { return strings.Join(e.path, ".") + ": " + e.msg }
func (e fieldErr) FieldPath() []string { return e.path }

// TestModelFieldPositions: each joined error of ValidateModel is reported
// at the key of the field it names, in the file that wrote it (a base of
// extends included); a field that is absent falls back to the deepest key
// found, then to the entry's name.
func TestModelFieldPositions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("base.yaml", `version: 1
name: base
models:
  b:
    provider: x
    model: y
    sim: {rate: 2}
nodes:
  a: {kind: tag}
`)
	child := write("child.yaml", `extends: base.yaml
models:
  c: {provider: x, model: y, temperature: 50}
`)
	validate := func(name string, raw map[string]any) error {
		switch name {
		case "b":
			return errors.Join(fieldErr{[]string{"sim", "rate"}, "bad"}, fieldErr{[]string{"sim", "nope"}, "absent"})
		case "c":
			return errors.Join(fieldErr{[]string{"temperature"}, "too hot"}, fieldErr{[]string{"gone"}, "absent"},
				errors.New("no field"))
		}
		return nil
	}
	_, err := Load(child, Options{Kinds: testKinds, ValidateModel: validate})
	if err == nil {
		t.Fatal("got no error")
	}
	base := filepath.Join(dir, "base.yaml")
	want := []string{
		base + `:7:11: model "b": sim.rate: bad`,
		base + `:7:5: model "b": sim.nope: absent`,
		child + `:3:3: model "c": gone: absent`,
		child + `:3:3: model "c": no field`,
		child + `:3:30: model "c": temperature: too hot`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got:\n%v\nwant a line %q", err, w)
		}
	}
}
