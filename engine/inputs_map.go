package engine

import (
	"errors"
	"fmt"

	"github.com/sptflow/sptflow/regfile"
)

// WithInput calls fn with the bytes of the matched input file f. Where the
// platform can map the file (mmap, on unix) the bytes are not copied: no
// read system call copies them from the page cache, no buffer of the file's
// size is allocated (or collected), and the pages count against memory only
// while mapped. In exchange the bytes are valid only while fn runs and only
// on fn's goroutine: fn must not keep them (nor any slice or unsafe string
// of them) or hand them to another goroutine. The file must still be the
// regular file of the size it was matched with; a file cut short, grown or
// rewritten while fn reads it is an error ("changed since it was
// matched"), never a crash. Elsewhere it reads the file whole (ReadInput).
func WithInput(f InputFile, fn func(data []byte) error) error {
	return withMapped(f, fn)
}

// withRead is WithInput by ReadInput.
func withRead(f InputFile, fn func([]byte) error) error {
	data, err := ReadInput(f)
	if err != nil {
		return err
	}
	return fn(data)
}

func errInputChanged(f InputFile) error {
	return fmt.Errorf("read input %s: it changed since it was matched (%d bytes then); run again", f.Abs, f.Size)
}

// readInputErr words an error opening input f as ReadInput does.
func readInputErr(f InputFile, err error) error {
	var tl *regfile.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("read input %s: it grew since it was matched (%d bytes then); run again", f.Abs, f.Size)
	}
	return fmt.Errorf("read input: %w", err)
}
