package analyze

import (
	"context"
	"runtime"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/hugebuf"
	"github.com/sptflow/sptflow/internal/ordered"
)

// analyzeFiles parses and digests the files in parallel and merges each
// into the analysis in file order as soon as it and the files before it
// are done (internal/ordered.Map), so only a few files' records are in
// memory at once. Read buffers and parsers are reused: a file's buffer goes
// back to the workers once the file is merged (the merge copies the items
// it keeps whole), and nothing merged refers to it. The merge, on the
// calling goroutine, costs about as much CPU as a file's loading, so it
// has a core of its own: one worker fewer than GOMAXPROCS (at least one)
// keeps the cores as busy and saves a read buffer (the largest file's
// size) and the switching between goroutines competing for the same
// cores.
func analyzeFiles(ctx context.Context, files []engine.OutputFile, o *options, out engine.Output, p engine.Progress) (*analysis, error) {
	a := newAnalysis(o, files, out)
	workers := max(1, runtime.GOMAXPROCS(0)-1)
	bufs := make(chan *worker, workers+1)
	size := bufSize(files)
	for range workers + 1 {
		bufs <- &worker{size: size}
	}
	err := ordered.Map(ctx, len(files), workers, func(ctx context.Context, i int) (*fileResult, error) {
		var w *worker
		select {
		case w = <-bufs:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		fr := w.loadFile(files[i], o)
		p.Done(1, 0, 0)
		return fr, nil
	}, func(_ int, fr *fileResult) error {
		err := a.add(fr)
		fr.data, fr.raw = nil, nil
		bufs <- fr.w // at most workers+1 results are alive: never blocks
		return err
	})
	if err == nil {
		err = a.finish()
	}
	if err != nil {
		a.abort()
		return nil, err
	}
	return a, nil
}

// worker is what a file's loading reuses from the file before: the read
// buffer and the parser.
type worker struct {
	buf []byte
	// size is the read buffer's capacity when first needed: the largest
	// file's size (+1 for the read that sees EOF), so it is allocated (and its
	// pages faulted in) once, not again each time a larger file comes.
	size int
	p    parser
	// The storage of the last file's records, items and models, which its
	// merge was the last to read.
	records []record
	items   []itemInfo
	models  []string
}

func (w *worker) loadFile(f engine.OutputFile, o *options) *fileResult {
	fr := &fileResult{file: f, path: f.Path, source: sourceName(f.Path), w: w}
	if w.buf == nil && w.size > 0 {
		w.buf = hugebuf.Make(w.size)
	}
	data, err := f.ReadInto(w.buf)
	w.buf, fr.data = data, data
	if err != nil {
		fr.err = err
		return fr
	}
	raw, err := w.p.parseFile(data)
	if err == nil {
		fr.topic, err = fileTopic(raw)
	}
	if err != nil {
		fr.err = err
		return fr
	}
	if fr.topic == "TEST" || !o.keepsTopic(fr.topic) {
		fr.skipped = true
		return fr
	}
	fr.records, fr.items, fr.models = w.records[:0], w.items[:0], w.models[:0]
	fr.digest(raw)
	w.records, w.items, w.models = fr.records, fr.items, fr.models
	return fr
}

// maxBufSize caps bufSize: a larger file still gets a buffer of its own
// size when it comes (ReadInto), but the workers do not all hold one.
const maxBufSize = 64 << 20

// bufSize is the read buffer size that holds every file of files (+1 for
// the read that sees EOF), at most maxBufSize.
func bufSize(files []engine.OutputFile) int {
	var m int64
	for _, f := range files {
		m = max(m, f.Size)
	}
	return int(min(m, maxBufSize)) + 1
}
