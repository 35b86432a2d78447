//go:build amd64 && !purego

package sha256x2

import "golang.org/x/sys/cpu"

//go:generate go run gen.go

// blocks2 runs SHA-256's compression function over n 64-byte blocks of
// each of two messages, from pa and pb, updating the states ha and hb.
//
//go:noescape
func blocks2(ha, hb *[8]uint32, pa, pb *byte, n int)

// cpuid7ebx returns EBX of CPUID leaf 7, subleaf 0 (bit 29: SHA), or 0
// when the processor has no leaf 7.
func cpuid7ebx() uint32

// hasBlocks2 reports whether the processor runs blocks2: the SHA
// extensions, SSSE3 and SSE4.1 for the shuffles and blends, AVX (with the
// operating system's support for its state) for the VEX-encoded moves.
func hasBlocks2() bool {
	return cpu.X86.HasAVX && cpu.X86.HasSSSE3 && cpu.X86.HasSSE41 && cpuid7ebx()&(1<<29) != 0
}
