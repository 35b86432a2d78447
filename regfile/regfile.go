// Package regfile opens and reads regular files only, with a size limit,
// so that hostile input cannot block or exhaust the process: a named pipe,
// a device, a socket or a directory is refused by its type before it is
// opened (and again after, on the open descriptor, since the path may have
// been replaced in between), the open never blocks (O_NONBLOCK), and a file
// over the limit is refused by its size before any byte is read.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// Limits used across sptflow, documented in the README ("Limits").
const (
	// MaxPipeline bounds a pipeline file and each file it extends.
	MaxPipeline = 16 << 20
	// MaxConfig bounds small configuration files: .env, prompt files, a
	// training config.
	MaxConfig = 16 << 20
	// MaxLock bounds the lock file (about 420 bytes per partition).
	MaxLock = 256 << 20
	// MaxDataDefault is the default per-file limit on data files (batch
	// files, evaluation results) read by steps; SPTFLOW_MAX_DATA_FILE
	// changes it.
	MaxDataDefault = 256 << 20
)

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file (after following symbolic links).
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is a file over its size limit.
type TooLargeError struct {
	Size, Max int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("file is %s, over the limit of %s", Bytes(e.Size), Bytes(e.Max))
}

// Check returns path's FileInfo (following symbolic links) when it is a
// regular file of at most max bytes (max <= 0: no limit). It opens nothing.
// Errors are *fs.PathError naming path.
func Check(path string, max int64) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // as os.ReadFile words a missing file
		}
		return nil, err
	}
	if err := check(fi, max); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return fi, nil
}

func check(fi fs.FileInfo, max int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (%s)", ErrNotRegular, typeName(fi.Mode()))
	}
	if max > 0 && fi.Size() > max {
		return &TooLargeError{Size: fi.Size(), Max: max}
	}
	return nil
}

// Open opens path for reading when it is a regular file of at most max
// bytes (max <= 0: no limit), without blocking. The caller closes the file.
func Open(path string, max int64) (*os.File, fs.FileInfo, error) {
	if _, err := Check(path, max); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = check(fi, max)
	}
	if err != nil {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return f, fi, nil
}

// Read reads the whole of path when it is a regular file of at most max
// bytes (max <= 0: no limit). A file that grows past max while being read
// is refused too, so memory stays bounded by max.
func Read(path string, max int64) ([]byte, error) {
	f, fi, err := Open(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	buf := make([]byte, 0, fi.Size()+512)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if max > 0 && int64(len(buf)) > max {
			return nil, &fs.PathError{Op: "read", Path: path, Err: &TooLargeError{Size: int64(len(buf)), Max: max}}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	return buf, nil
}

// typeName names a non-regular file type for messages.
func typeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "mode " + m.String()
	}
}

// Bytes formats n as the README writes sizes: "16 MiB", "2.0 GiB", "512 B".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := "KMGTPE"[exp : exp+1]
	if n%div == 0 {
		return fmt.Sprintf("%d %siB", n/div, suffix)
	}
	return fmt.Sprintf("%.1f %siB", v, suffix)
}

// ParseBytes parses a size: a number of bytes, optionally followed by
// B, KiB, MiB, GiB or TiB ("256MiB", "1 GiB", "1048576").
func ParseBytes(s string) (int64, error) {
	num := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q: want a positive number of bytes, optionally with KiB, MiB, GiB or TiB", s)
	}
	return n * mult, nil
}
