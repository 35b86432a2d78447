package sha256x2

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func message(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// Every pair of lengths around the block size, the buffer size and their
// multiples gives crypto/sha256's digests.
func TestSum2MatchesSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000,
		bufSize - 65, bufSize - 64, bufSize - 1, bufSize, bufSize + 1, bufSize + 64,
		2*bufSize - 1, 2 * bufSize, 2*bufSize + 100, 3*bufSize + 17}
	for _, la := range lengths {
		for _, lb := range lengths {
			a, b := message(rng, la), message(rng, lb)
			x, y := Sum2(bytes.NewReader(a), bytes.NewReader(b))
			require.NoError(t, x.Err)
			require.NoError(t, y.Err)
			require.Equal(t, sha256.Sum256(a), x.Sum, "a: %d bytes, b: %d", la, lb)
			require.Equal(t, sha256.Sum256(b), y.Sum, "b: %d bytes, a: %d", lb, la)
			require.Equal(t, int64(la), x.N)
			require.Equal(t, int64(lb), y.N)
			sa, sb := Sum2Bytes(a, b)
			require.Equal(t, sha256.Sum256(a), SumBytes(a), "SumBytes, %d bytes", la)
			require.Equal(t, sha256.Sum256(a), sa, "Sum2Bytes, a: %d bytes, b: %d", la, lb)
			require.Equal(t, sha256.Sum256(b), sb, "Sum2Bytes, b: %d bytes, a: %d", lb, la)
		}
	}
}

// Readers that return a byte at a time, or data with io.EOF, change
// nothing: Sum2 reads whole buffers.
func TestSum2ShortReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := message(rng, bufSize+300), message(rng, 5000)
	x, y := Sum2(iotest.OneByteReader(bytes.NewReader(a)), iotest.DataErrReader(bytes.NewReader(b)))
	require.Equal(t, sha256.Sum256(a), x.Sum)
	require.Equal(t, sha256.Sum256(b), y.Sum)
	require.NoError(t, x.Err)
	require.NoError(t, y.Err)
}

// A read error ends its stream only.
func TestSum2ReadError(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b := message(rng, 3*bufSize+5)
	boom := errors.New("boom")
	for _, at := range []int{0, 100, bufSize, 2*bufSize + 64} {
		prefix := message(rng, at)
		bad := func() io.Reader { return io.MultiReader(bytes.NewReader(prefix), iotest.ErrReader(boom)) }
		x, y := Sum2(bad(), bytes.NewReader(b))
		require.ErrorIs(t, x.Err, boom, "error after %d bytes", at)
		require.NoError(t, y.Err)
		require.Equal(t, sha256.Sum256(b), y.Sum)
		y, x = Sum2(bytes.NewReader(b), bad())
		require.ErrorIs(t, x.Err, boom, "error after %d bytes, as the second stream", at)
		require.NoError(t, y.Err)
		require.Equal(t, sha256.Sum256(b), y.Sum)
	}
}

// The paired code is what runs on a processor that has it (a fallback
// would pass the tests above too).
func TestPairedOnThisMachine(t *testing.T) {
	if !hasBlocks2() {
		t.Skip("this processor (or build) has no paired code: Sum2 falls back to crypto/sha256")
	}
	require.True(t, paired(), "the self-check of the paired code failed")
}

// blocks_amd64.s is what gen.go writes.
func TestGenerated(t *testing.T) {
	want, err := os.ReadFile("blocks_amd64.s")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "blocks_amd64.s")
	cmd := exec.Command("go", "run", "gen.go", "-o", out)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Run())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "blocks_amd64.s is stale: run go generate ./internal/sha256x2")
}

func FuzzSum2(f *testing.F) {
	f.Add([]byte("abc"), []byte(""), uint16(0))
	f.Fuzz(func(t *testing.T, a, b []byte, rep uint16) {
		a = bytes.Repeat(a, 1+int(rep%200))
		x, y := Sum2(bytes.NewReader(a), bytes.NewReader(b))
		require.Equal(t, sha256.Sum256(a), x.Sum)
		require.Equal(t, sha256.Sum256(b), y.Sum)
		sa, sb := Sum2Bytes(a, b)
		require.Equal(t, x.Sum, sa)
		require.Equal(t, y.Sum, sb)
	})
}

func BenchmarkSum2(b *testing.B) {
	data := message(rand.New(rand.NewPCG(7, 8)), 4<<20)
	b.SetBytes(2 * int64(len(data)))
	for b.Loop() {
		Sum2(bytes.NewReader(data), bytes.NewReader(data))
	}
}

func BenchmarkSum2Bytes(b *testing.B) {
	data := message(rand.New(rand.NewPCG(7, 8)), 4<<20)
	b.SetBytes(2 * int64(len(data)))
	for b.Loop() {
		Sum2Bytes(data, data)
	}
}

func BenchmarkSHA256(b *testing.B) {
	data := message(rand.New(rand.NewPCG(7, 8)), 4<<20)
	b.SetBytes(2 * int64(len(data)))
	buf := make([]byte, bufSize)
	for b.Loop() {
		sum1(bytes.NewReader(data), buf)
		sum1(bytes.NewReader(data), buf)
	}
}
