package engine

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadInto: ReadInto reads the whole file into the caller's buffer when
// it fits (so a reader of many files allocates once), grows it when it does
// not, reads past a wrong size, and passes the reader's errors on as they
// are (ReadAll names the file).
func TestReadInto(t *testing.T) {
	content := strings.Repeat("0123456789", 100)
	file := func(size int64, r func() io.Reader) OutputFile {
		return OutputFile{Path: "a/b.json", Size: size, Open: func() (io.ReadCloser, error) { return io.NopCloser(r()), nil }}
	}
	exact := file(int64(len(content)), func() io.Reader { return strings.NewReader(content) })

	buf := make([]byte, 0, 4096)
	got, err := exact.ReadInto(buf)
	if err != nil || string(got) != content {
		t.Fatalf("ReadInto: %q, %v", got, err)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("ReadInto allocated although the buffer holds the file")
	}
	got, err = exact.ReadInto(make([]byte, 0, 10))
	if err != nil || string(got) != content {
		t.Fatalf("ReadInto, small buffer: %q, %v", got, err)
	}
	// A size that is wrong (the store's size is a hint for the buffer, the
	// reader's EOF ends the file).
	got, err = file(3, func() io.Reader { return strings.NewReader(content) }).ReadInto(nil)
	if err != nil || string(got) != content {
		t.Fatalf("ReadInto, size too small: %q, %v", got, err)
	}

	damaged := errors.New("object abc: digest mismatch")
	bad := file(int64(len(content)), func() io.Reader {
		return io.MultiReader(strings.NewReader("0123"), iotest.ErrReader(damaged))
	})
	if _, err := bad.ReadInto(nil); !errors.Is(err, damaged) || err.Error() != damaged.Error() {
		t.Errorf("ReadInto error: %v, want %v as it is", err, damaged)
	}
	if _, err := bad.ReadAll(); !errors.Is(err, damaged) || !strings.HasPrefix(err.Error(), "read a/b.json: ") {
		t.Errorf("ReadAll error: %v, want it wrapped with the file's path", err)
	}
}
