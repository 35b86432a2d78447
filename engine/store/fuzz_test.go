package store

import (
	"bytes"
	"testing"
)

// FuzzLockFile checks that any lock file that parses re-encodes to a
// fixed point: encode(parse(encode(parse(x)))) == encode(parse(x)).
func FuzzLockFile(f *testing.F) {
	lf := &LockFile{Version: 1, Pipelines: map[string]map[string]LockEntry{"p": {"tag@a": sampleEntry("1")}}}
	b, _ := lf.Encode()
	f.Add(b)
	f.Add([]byte("version: 1\npipelines: {}\n"))
	f.Add([]byte("pipelines:\n  'x: y':\n    \"a@b=c,d\":\n      key: k\n      usage: {n: [1, 2]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := parseLockFile("fuzz", data)
		if err != nil {
			return
		}
		first, err := lf.Encode()
		if err != nil {
			return // names a lock file cannot hold (newlines)
		}
		lf2, err := parseLockFile("fuzz", first)
		if err != nil {
			t.Fatalf("encoded lock file does not parse: %v\n%s", err, first)
		}
		second, err := lf2.Encode()
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("encoding is not a fixed point (%v):\n%s\nvs\n%s", err, first, second)
		}
	})
}

// FuzzRecordFrame checks that unframe accepts exactly what frame produced.
func FuzzRecordFrame(f *testing.F) {
	f.Add([]byte("payload"), 3)
	f.Fuzz(func(t *testing.T, data []byte, flip int) {
		b := frame(data)
		if got, ok := unframe(b); !ok || !bytes.Equal(got, data) {
			t.Fatal("round trip failed")
		}
		i := (flip%len(b) + len(b)) % len(b)
		b[i] ^= 1
		if _, ok := unframe(b); ok {
			t.Fatalf("flipped byte %d accepted", i)
		}
		if _, ok := unframe(b[:len(b)-1]); ok && len(data) > 0 {
			t.Fatal("truncated frame accepted")
		}
	})
}
