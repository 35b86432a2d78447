package mapped

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeFile writes n bytes of a repeating pattern to a new file and
// returns it open for reading.
func writeFile(t *testing.T, n int) (*os.File, []byte) {
	t.Helper()
	data := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f, data
}

var sink int // what a test's loop reads goes here, so that it is read

func mustMap(t *testing.T, f *os.File, size int) *Map {
	t.Helper()
	m, err := Open(f, int64(size))
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		require.ErrorIs(t, err, ErrUnsupported)
		t.Skip("no mapping on " + runtime.GOOS)
	}
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

func TestOpenMapsTheFile(t *testing.T) {
	f, data := writeFile(t, 3<<20+17)
	m := mustMap(t, f, len(data))
	require.NoError(t, f.Close(), "the mapping outlives the descriptor")
	var sum [32]byte
	require.NoError(t, Guard(func() { sum = sha256.Sum256(m.Bytes()) }, m))
	require.Equal(t, sha256.Sum256(data), sum)
	require.NoError(t, m.Close())
	require.Nil(t, m.Bytes())
	require.NoError(t, m.Close(), "a second Close does nothing")
}

func TestOpenRefusesEmpty(t *testing.T) {
	f, _ := writeFile(t, 0)
	_, err := Open(f, 0)
	require.ErrorIs(t, err, ErrUnsupported)
}

// A file truncated while mapped faults past its new end: Guard turns the
// fault into an error, and the process goes on.
func TestGuardReportsAShrunkFile(t *testing.T) {
	const size, kept = 1 << 20, 100_000
	f, _ := writeFile(t, size)
	m := mustMap(t, f, size)
	require.NoError(t, os.Truncate(f.Name(), kept))
	readers := map[string]func(b []byte){
		"IndexByte": func(b []byte) { _ = bytes.IndexByte(b, 'z') },
		"sha256":    func(b []byte) { _ = sha256.Sum256(b) },
		"loop": func(b []byte) {
			for _, c := range b {
				sink += int(c)
			}
		},
	}
	for name, read := range readers {
		err := Guard(func() { read(m.Bytes()) }, m)
		var fe *FaultError
		require.ErrorAs(t, err, &fe, name)
		require.GreaterOrEqual(t, fe.Offset, int64(kept), name)
		require.Less(t, fe.Offset, int64(size), name)
		require.Contains(t, err.Error(), "shrank while it was read", name)
	}
	var ok bool
	require.NoError(t, Guard(func() { ok = bytes.Equal(m.Bytes()[:16], []byte("0123456789abcdef")) }, m))
	require.True(t, ok, "the pages that are left still read")
}

// A fault outside the mappings is a bug, not a shrunk file: it goes on as
// a panic, as does any other panic.
func TestGuardPassesOtherPanics(t *testing.T) {
	f, _ := writeFile(t, 4096)
	m := mustMap(t, f, 4096)
	var p *[8]byte
	require.Panics(t, func() { _ = Guard(func() { _ = p[3] }, m) })
	require.PanicsWithValue(t, "boom", func() { _ = Guard(func() { panic("boom") }, m) })
	errBoom := errors.New("boom")
	require.PanicsWithError(t, "boom", func() { _ = Guard(func() { panic(errBoom) }, m) })
}

func TestGuardRestoresPanicOnFault(t *testing.T) {
	require.False(t, debug.SetPanicOnFault(false))
	require.NoError(t, Guard(func() {}))
	require.False(t, debug.SetPanicOnFault(false), "Guard left panic-on-fault set")
	debug.SetPanicOnFault(true)
	require.NoError(t, Guard(func() {}))
	require.True(t, debug.SetPanicOnFault(false), "Guard cleared the caller's panic-on-fault")
}
