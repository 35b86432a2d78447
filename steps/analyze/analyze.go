package analyze

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/sptflow/sptflow/engine"
)

// Kind is the node kind this step implements.
const Kind = "analyze"

// version is part of every analyze node key; bump it when the same inputs
// would give different outputs.
const version = "1"

// Step is the analyze node kind.
type Step struct{}

var _ engine.Step = (*Step)(nil)

// New returns the analyze step.
func New() *Step { return &Step{} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return version }

// Resolve implements engine.Step: it validates the `with:` options
// (topics, examples, max_examples_per_topic, ignore_errors).
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	o, err := resolveOptions(spec)
	if err != nil {
		return nil, err
	}
	return &engine.Plan{Params: o, OutputDir: o.OutputDir}, nil
}

// Run implements engine.Step: it reads every *.json file of the upstream
// partitions, analyses them and writes the JSON outputs and the report.
func (s *Step) Run(ctx context.Context, t *engine.Task) error {
	o, ok := t.Params.(*options)
	if !ok {
		var err error
		if o, err = resolveOptions(t.Spec); err != nil {
			return err
		}
	}
	files := inputFiles(t.Upstream)
	t.Progress.SetTotal(len(files))
	results := loadAll(ctx, files, o, t.Progress)
	if err := ctx.Err(); err != nil {
		return err
	}
	a, err := newAnalysis(results, o)
	if err != nil {
		return err
	}
	t.Log.Info().Int("files", len(files)).Int("records", len(a.recs)).Int("sanity_failures", len(a.failures)).Msg("analyzed stage-3 data")
	if len(a.failures) > 0 && !o.IgnoreErrors {
		return sanityError(a.failures)
	}
	return a.write(ctx, t.Out)
}

func sanityError(failures []string) error {
	n := min(len(failures), 10)
	msg := fmt.Sprintf("%d sanity check failures (set ignore_errors: true to write the analysis anyway):\n  %s",
		len(failures), strings.Join(failures[:n], "\n  "))
	if len(failures) > n {
		msg += fmt.Sprintf("\n  ... and %d more", len(failures)-n)
	}
	return fmt.Errorf("%s", msg)
}

// inputFiles lists the *.json files of all upstream partitions, sorted by path.
func inputFiles(ups []engine.Upstream) []engine.OutputFile {
	var files []engine.OutputFile
	seen := map[string]bool{}
	for _, u := range ups {
		for _, f := range u.Files {
			if strings.HasSuffix(f.Path, ".json") && !seen[f.Path] {
				seen[f.Path] = true
				files = append(files, f)
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// sourceName is a file's `source_file`: its path below the upstream's
// top-level output directory ("sycophancy/batch_….json"), as the original
// reports paths relative to its data directory.
func sourceName(p string) string {
	if _, rest, ok := strings.Cut(p, "/"); ok {
		return rest
	}
	return path.Base(p)
}

// loadAll parses and digests the files concurrently; results keep the
// files' order. Each worker reuses one read buffer, and nothing returned
// refers to it.
func loadAll(ctx context.Context, files []engine.OutputFile, o *options, p engine.Progress) []*fileResult {
	results := make([]*fileResult, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), max(len(files), 1))
	for w := 0; w < workers; w++ {
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
		return fr, buf
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
	fr.digest(&scanner{b: data}, raw, o)
	return fr, data
}

// readInto reads f into buf's storage (grown as needed).
func readInto(f engine.OutputFile, buf []byte) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return buf, err
	}
	defer rc.Close()
	b := bytes.NewBuffer(buf[:0])
	if f.Size > 0 {
		b.Grow(int(f.Size) + 1)
	}
	_, err = io.Copy(b, rc)
	return b.Bytes(), err
}
