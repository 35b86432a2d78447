package tag

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// Source is one batch file of a partition.
type Source struct {
	Name string                 // base name, "batch_<topic>_..._001.json"
	Path string                 // where it is, for messages ("" for Name)
	Size int64                  // its size in bytes, for the Limiter (0: unknown, one slot)
	Read func() ([]byte, error) // its bytes
	// ReadTo, when set, is used instead of Read: it reads the bytes into
	// dst's storage (growing it when too small) and returns them, so that
	// files tagged one after another reuse their buffers.
	ReadTo func(dst []byte) ([]byte, error)
}

// readBufs holds the read buffers of finished files for the next ones.
var readBufs = make(chan []byte, runtime.GOMAXPROCS(0))

// read returns src's bytes and a function that releases their buffer.
func (src Source) read() ([]byte, func(), error) {
	if src.ReadTo == nil {
		data, err := src.Read()
		return data, func() {}, err
	}
	var buf []byte
	select {
	case buf = <-readBufs:
	default:
	}
	data, err := src.ReadTo(buf)
	release := func() {
		select {
		case readBufs <- data[:0]:
		default:
		}
	}
	return data, release, err
}

// Sink receives each tagged file under its source's name: it calls encode
// with where the file's bytes go (encode writes them a piece at a time, so
// no tagged file is held whole in memory). It is called concurrently, once
// per source, or twice when the fast path gives up while writing: encode
// then returns an error, the sink must drop what it was given (as
// engine.CreateFile's Abort does), and the second call writes the file.
type Sink func(name string, encode func(io.Writer) error) error

// BytesSink is a Sink for a function that takes whole files.
func BytesSink(f func(name string, data []byte) error) Sink {
	return func(name string, encode func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := encode(&buf); err != nil {
			return err
		}
		return f(name, buf.Bytes())
	}
}

// Limiter bounds the files being tagged at once and the input they hold in
// memory: a file takes a slot per SlotBytes of its size (at least one, at
// most all), from reading to writing, so a large file runs with fewer
// others, alone if need be. Concurrent Partition calls that share one
// Limiter share its bound, so memory does not grow with the number of
// partitions the engine runs at once.
type Limiter chan struct{}

// SlotBytes is the input a Limiter slot stands for: on 2 cores (2 slots)
// files up to 3 MiB are tagged two at a time and larger ones alone.
const SlotBytes = 3 << 20

// acquireMu makes taking several slots one step, so that two files taking
// slots at once cannot each hold part of what the other waits for.
var acquireMu sync.Mutex

// acquire takes the slots of a file of size bytes and returns how many.
func (lim Limiter) acquire(ctx context.Context, size int64) (int, error) {
	k := int(min(max((size+SlotBytes-1)/SlotBytes, 1), int64(cap(lim))))
	acquireMu.Lock()
	defer acquireMu.Unlock()
	for got := 0; got < k; got++ {
		select {
		case lim <- struct{}{}:
		case <-ctx.Done():
			lim.release(got)
			return 0, ctx.Err()
		}
	}
	return k, nil
}

func (lim Limiter) release(k int) {
	for range k {
		<-lim
	}
}

// NewLimiter returns a Limiter of n slots (GOMAXPROCS when n <= 0).
func NewLimiter(n int) Limiter {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return make(Limiter, n)
}

// Partition tags the batch files of one partition (one topic) and writes
// them to sink with pyjson.Tagged. Files are processed in sorted name
// order: id_numeric runs from 1 across them in that order (the original
// used unsorted filesystem order), and an id_string that repeats within the
// partition is an error.
//
// Files are tagged concurrently, each holding a slot of lim from reading to
// writing (a new Limiter of GOMAXPROCS slots when lim is nil). Output bytes
// do not depend on the number of slots.
func Partition(ctx context.Context, topic string, sources []Source, lim Limiter, sink Sink) (*Report, error) {
	if lim == nil {
		lim = NewLimiter(0)
	}
	sources = slices.Clone(sources)
	slices.SortFunc(sources, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(sources); i++ {
		if sources[i].Name == sources[i-1].Name {
			return nil, fmt.Errorf("two input files named %s", sources[i].Name)
		}
	}
	p := &partition{
		report: &Report{Topic: topic, Stats: Stats{DroppedVariants: map[string]int{}, Tags: map[string]int{}}},
		seen:   newIDSet(),
		done:   make([]chan struct{}, len(sources)),
		sink:   sink,
	}
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	if err := p.run(ctx, sources, lim); err != nil {
		return nil, err
	}
	r := p.report
	r.UniqueIDs = p.seen.len()
	if r.IDs > 0 {
		r.FirstID, r.LastID = 1, int64(r.IDs)
	}
	return r, nil
}

// partition is the state shared by the files of one Partition call. The
// fields below done are only touched by file i after done[i-1] is closed,
// which serialises them in file order.
type partition struct {
	done   []chan struct{}
	sink   Sink
	report *Report
	seen   *idSet
}

// run tags the files. Slots are taken in file order, so a file only holds
// one while it waits for its predecessors if they hold or held one too: the
// earliest unfinished file of every partition never waits, and partitions
// sharing lim cannot deadlock.
func (p *partition) run(parent context.Context, sources []Source, lim Limiter) error {
	g, ctx := errgroup.WithContext(parent)
	for i, src := range sources {
		k, err := lim.acquire(ctx, src.Size)
		if err != nil {
			if err := g.Wait(); err != nil {
				return err
			}
			return context.Cause(parent)
		}
		g.Go(func() error {
			defer lim.release(k)
			if err := p.file(ctx, i, src); err != nil {
				return fmt.Errorf("tag %s: %w", cmp.Or(src.Path, src.Name), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// file parses and tags source i, waits until the files before it are
// numbered, takes its ids, then encodes and writes it.
func (p *partition) file(ctx context.Context, i int, src Source) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	data, release, err := src.read()
	defer release()
	if err != nil {
		return err
	}
	stem := spt.Stem(src.Name)
	if ff, err := analyze(data, stem); err == nil {
		return p.fast(ctx, i, src, ff)
	}
	doc, err := spt.ReadBatch(data)
	if err != nil {
		return err
	}
	f, err := TagFile(doc, stem)
	if err != nil {
		return err
	}
	if err := p.wait(ctx, i); err != nil {
		return err
	}
	first := int64(p.report.IDs) + 1
	if err := p.register(f.IDs, &f.Stats); err != nil {
		return err
	}
	close(p.done[i])
	f.Number(first)
	return p.sink(src.Name, func(w io.Writer) error { return pyjson.MarshalTo(w, doc, pyjson.Tagged) })
}

// fast tags source i on the fast path (analyze, then emit). The tree path
// takes over when emit finds what the fast path does not handle; analyze
// has already checked everything that decides the ids and counts, so the
// tree path's are the same.
func (p *partition) fast(ctx context.Context, i int, src Source, ff *fastFile) error {
	if err := p.wait(ctx, i); err != nil {
		return err
	}
	first := int64(p.report.IDs) + 1
	if err := p.register(ff.ids, &ff.stats); err != nil {
		return err
	}
	close(p.done[i])
	err := p.sink(src.Name, func(w io.Writer) error { return ff.emit(w, first) })
	if !errors.Is(err, errFallback) {
		return err
	}
	doc, err := spt.ReadBatch(ff.data)
	if err != nil {
		return err
	}
	f, err := TagFile(doc, spt.Stem(src.Name))
	if err != nil {
		return err
	}
	if len(f.IDs) != len(ff.ids) {
		return fmt.Errorf("internal error: the tree path found %d ids, the fast path %d", len(f.IDs), len(ff.ids))
	}
	f.Number(first)
	return p.sink(src.Name, func(w io.Writer) error { return pyjson.MarshalTo(w, doc, pyjson.Tagged) })
}

// wait waits until the files before file i are registered.
func (p *partition) wait(ctx context.Context, i int) error {
	if i > 0 {
		select {
		case <-p.done[i-1]:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// register adds a file's ids and counts to the partition, in file order.
func (p *partition) register(ids []string, stats *Stats) error {
	for _, id := range ids {
		if !p.seen.add(id) {
			return fmt.Errorf("duplicate ID detected: %s", id)
		}
	}
	p.report.Add(stats)
	return nil
}
