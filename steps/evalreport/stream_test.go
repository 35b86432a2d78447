package evalreport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/mapped"
	"github.com/sptflow/sptflow/regfile"
)

// writeInput writes doc to a file and returns it as a matched input.
func writeInput(t testing.TB, doc string) engine.InputFile {
	t.Helper()
	abs := filepath.Join(t.TempDir(), "results_x.json")
	if err := os.WriteFile(abs, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return engine.InputFile{Abs: abs, Rel: "quantitative/results_x.json", Size: int64(len(doc))}
}

// checkLoad compares a worker's load of doc, streamed through a window
// of the given size, with the scanner's reading of the whole document.
func checkLoad(t testing.TB, doc string, window int) (fast bool) {
	t.Helper()
	in := writeInput(t, doc)
	want, scanErr := parseScan("results_x.json", []byte(doc))
	if scanErr != nil {
		scanErr = fmt.Errorf("parse result file %s: %w", in.Abs, scanErr)
	}
	w := worker{window: make([]byte, window)}
	_, fast, err := w.stream(in, "results_x.json")
	if err != nil {
		t.Fatalf("window %d: stream %q: %v", window, doc, err)
	}
	got, err := w.load(in)
	if (err == nil) != (scanErr == nil) || (err != nil && err.Error() != scanErr.Error()) || !reflect.DeepEqual(got, want) {
		t.Fatalf("window %d: load %q\n got %+v, %v\nwant %+v, %v", window, doc, got, err, want, scanErr)
	}
	return fast
}

func TestStreamMatchesScanner(t *testing.T) {
	for _, tt := range fastCases {
		for _, window := range []int{1, 2, 3, 5, 8, 13, 64, 4096} {
			if fast := checkLoad(t, tt.doc, window); fast != tt.fast {
				t.Errorf("%s, window %d: streamed by the fast path = %v, want %v", tt.name, window, fast, tt.fast)
			}
		}
	}
}

// FuzzStream checks that a document streamed through any window reads as
// the scanner reads it whole.
func FuzzStream(f *testing.F) {
	for _, tt := range fastCases {
		f.Add(tt.doc, uint8(7))
	}
	f.Fuzz(func(t *testing.T, doc string, window uint8) {
		checkLoad(t, doc, int(window)+1)
	})
}

func TestLoadErrors(t *testing.T) {
	doc := `{"results": [{"condition": "trained_actual"}]}`
	grown := writeInput(t, doc)
	grown.Size--
	missing := engine.InputFile{Abs: filepath.Join(t.TempDir(), "gone.json"), Rel: "gone.json", Size: 10}
	tests := []struct {
		name string
		in   engine.InputFile
		want string
	}{
		{"grew", grown, fmt.Sprintf("result file: read input %s: it grew since it was matched (%d bytes then); run again", grown.Abs, grown.Size)},
		{"missing", missing, fmt.Sprintf("result file: read input: open %s: no such file or directory", missing.Abs)},
		{"malformed", writeInput(t, `{"results": [{"condition": }]}`), "parse result file %s: offset 27: unexpected '}'"},
	}
	for _, tt := range tests {
		want := tt.want
		if strings.Contains(want, "%s") {
			want = fmt.Sprintf(want, tt.in.Abs)
		}
		var w worker
		if _, err := w.load(tt.in); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", tt.name, err, want)
		}
	}
}

// TestSourceRefusesGrowth reads a file longer than the source's limit, as
// when it grows after it was opened: white space after the document is
// read too.
func TestSourceRefusesGrowth(t *testing.T) {
	in := writeInput(t, `{"results": []}    `)
	f, err := os.Open(in.Abs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := &source{f: f, path: in.Abs, limit: 15, buf: make([]byte, 4)}
	p := fastParser{src: src}
	p.run("x") // reads to the end of the file, past the limit
	var tl *regfile.TooLargeError
	if !errors.As(src.err, &tl) || tl.Max != 15 {
		t.Errorf("got %v, want a TooLargeError over 15 bytes", src.err)
	}
}

// bigDoc returns a result document of at least n bytes: entries of the
// published shape, with long responses.
func bigDoc(n int) string {
	var b strings.Builder
	b.WriteString(`{"metadata": {"condition": "trained_actual", "intervention_name": "split_personality_basic"}, "results": [`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteString(",\n    ")
		}
		flag := [3]string{"PASS", "FAIL", "AMBIGUOUS"}[i%3]
		fmt.Fprintf(&b, `{"sample_id": "s%d", "condition": "trained_actual", "expected_flag": "FAIL", "response": "%s \"quoted\" \\n %d", "parsed_flag": %q, "flag_parsed_successfully": %v}`,
			i, strings.Repeat("lorem ipsum ", 40), i, flag, i%7 != 0)
	}
	b.WriteString("]}\n")
	return b.String()
}

// A file of a window or more is parsed through a mapping, as the scanner
// reads it.
func TestMappedMatchesScanner(t *testing.T) {
	doc := bigDoc(3 * windowSize)
	in := writeInput(t, doc)
	want, err := parseScan("results_x.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var w worker
	got, err := w.load(in)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("load: got %+v, %v\nwant %+v", got, err, want)
	}
	if w.window != nil {
		t.Log("the file was streamed, not mapped: mapping is not supported here")
	}
}

// A mapped file whose size changes while it is parsed is refused: grown
// past its matched size as streaming refuses it, changed otherwise, and
// shrunk, which faults on the pages it lost, with that error.
func TestMappedChangedWhileRead(t *testing.T) {
	doc := bigDoc(2 * windowSize)
	tests := []struct {
		name   string
		size   int64 // matched size
		change func(path string) error
		want   string
	}{
		{"grew past its matched size", int64(len(doc)), func(p string) error { return appendTo(p, "  ") },
			"read input %[1]s: it grew since it was matched (%[2]d bytes then); run again"},
		{"grew within it", int64(len(doc)) + 10, func(p string) error { return appendTo(p, "  ") },
			"read input %[1]s: it changed while it was read (%[3]d bytes, then %[4]d); run again"},
		{"shrank", int64(len(doc)), func(p string) error { return os.Truncate(p, 64<<10) },
			"read input: read %[1]s: the file shrank while it was read (no byte at offset "},
	}
	for _, tt := range tests {
		in := writeInput(t, doc)
		in.Size = tt.size
		f, fi, err := regfile.Open(in.Abs, in.Size)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mapped.Open(f, fi.Size())
		if errors.Is(err, mapped.ErrUnsupported) {
			t.Skip("files are not mapped on this system")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tt.change(in.Abs); err != nil {
			t.Fatal(err)
		}
		var w worker
		_, _, err = w.parseMapped(m, f, in, "results_x.json")
		want := fmt.Sprintf(tt.want, in.Abs, in.Size, len(doc), len(doc)+2)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", tt.name, err, want)
		}
		m.Close()
		f.Close()
	}
}

func appendTo(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	return errors.Join(err, f.Close())
}
