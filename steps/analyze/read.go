package analyze

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/sptflow/sptflow/engine"
)

// loadAll parses and digests the files concurrently; results keep the
// files' order. Each worker reuses one read buffer, and nothing returned
// refers to it.
func loadAll(ctx context.Context, files []engine.OutputFile, o *options, p engine.Progress) []*fileResult {
	results := make([]*fileResult, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				results[i], buf = loadFile(files[i], o, buf)
				p.Done(1, 0, 0)
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func loadFile(f engine.OutputFile, o *options, buf []byte) (*fileResult, []byte) {
	fr := &fileResult{file: f, path: f.Path, source: sourceName(f.Path)}
	data, err := readInto(f, buf)
	if err != nil {
		fr.err = err
		return fr, data
	}
	raw, err := parseFile(data)
	if err == nil {
		fr.topic, err = fileTopic(raw)
	}
	if err != nil {
		fr.err = err
		return fr, data
	}
	if fr.topic == "TEST" || !o.keepsTopic(fr.topic) {
		fr.skipped = true
		return fr, data
	}
	fr.digest(raw, o)
	return fr, data
}

// readInto reads f into buf's storage.
func readInto(f engine.OutputFile, buf []byte) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return buf, err
	}
	defer rc.Close()
	return readAll(rc, f.Size, buf)
}

// readAll reads r into buf's storage, grown first to size when size is
// known (one read, no doubling copies).
func readAll(r io.Reader, size int64, buf []byte) ([]byte, error) {
	if need := int(size) + 1; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
