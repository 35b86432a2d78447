package engine

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

// TestCreateFileMatchesWriteFile: a file streamed with Create is stored
// and listed exactly as the same bytes written with WriteFile.
func TestCreateFileMatchesWriteFile(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("{\"line\": 1}\n"), 40000)
	whole := newStoreOutput(st, []string{"out"})
	if err := whole.WriteFile("out/a.jsonl", data); err != nil {
		t.Fatal(err)
	}
	streamed := newStoreOutput(st, []string{"out"})
	w, err := CreateFile(streamed, "out/./a.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for i := 0; i < len(data); i += 7777 {
		chunk := data[i:min(i+7777, len(data))]
		if i%2 == 0 {
			_, err = w.Write(chunk)
		} else {
			_, err = w.WriteString(string(chunk))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := streamed.manifest(); len(got) != 0 {
		t.Errorf("before Close: got %d files in the output, want 0", len(got))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, want := streamed.manifest(), whole.manifest()
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("manifest: got %+v, want %+v", got, want)
	}
	rc, err := st.OpenObject(got[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, data) {
		t.Errorf("stored object: got %d bytes, err %v; want %d bytes", len(b), err, len(data))
	}
}

func TestCreateFileRefused(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	o := newStoreOutput(st, []string{"out"})
	for _, rel := range []string{"../x", "/abs", "other/x.json"} {
		if _, err := CreateFile(o, rel); err == nil {
			t.Errorf("CreateFile(%q): got no error", rel)
		}
	}
	w, err := CreateFile(o, "out/dropped.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	w.Abort()
	if err := w.Close(); err == nil || len(o.manifest()) != 0 {
		t.Errorf("Close after Abort: got err %v and %d files, want an error and none", err, len(o.manifest()))
	}
}

// memOutput is an Output without Create.
type memOutput struct{ files map[string][]byte }

func (m *memOutput) WriteFile(rel string, data []byte) error {
	m.files[rel] = bytes.Clone(data)
	return nil
}

func (m *memOutput) Reference(string, InputFile) error { return nil }

func TestCreateFileBuffered(t *testing.T) {
	m := &memOutput{files: map[string][]byte{}}
	w, err := CreateFile(m, "out/x.txt")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello, "))
	w.WriteString("world")
	if len(m.files) != 0 {
		t.Errorf("before Close: got %d files, want 0", len(m.files))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Abort() // after Close: nothing
	if got := string(m.files["out/x.txt"]); got != "hello, world" {
		t.Errorf("got %q, want %q", got, "hello, world")
	}
	if _, err := w.Write([]byte("late")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close: got %v, want an error", err)
	}
}
