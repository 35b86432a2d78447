//go:build !amd64 || purego

package sha256x2

func blocks2(ha, hb *[8]uint32, pa, pb *byte, n int) {
	panic("sha256x2: no paired code on this architecture")
}

func hasBlocks2() bool { return false }
