package hugebuf

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestMake: a buffer is empty and holds size bytes, all of them usable,
// whether it is small or made of huge pages; on Linux a buffer of a huge
// page or more starts on a huge page boundary.
func TestMake(t *testing.T) {
	for _, size := range []int{0, 1, 4096, PageSize - 1, PageSize, 4188364, 5 << 20} {
		b := Make(size)
		if len(b) != 0 || cap(b) < size {
			t.Fatalf("Make(%d): len %d cap %d", size, len(b), cap(b))
		}
		b = b[:cap(b)]
		if len(b) == 0 {
			continue
		}
		b[0], b[len(b)-1] = 1, 2
		if p := uintptr(unsafe.Pointer(&b[0])); size >= PageSize && runtime.GOOS == "linux" && p%PageSize != 0 {
			t.Errorf("Make(%d) starts at %#x, not on a huge page", size, p)
		}
	}
}
