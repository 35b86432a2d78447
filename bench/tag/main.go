// Command tag benchmarks the tag step over a directory of batch files in
// the original layout (<dir>/<topic>/*.json), printing wall time, CPU time
// and peak memory (the process's peak resident set).
//
//	go run ./bench/tag -prepare /tmp/untagged $SPT_REFERENCE_DATA/stage_3_tagged
//	go run ./bench/tag /tmp/untagged
//
// -prepare writes copies with the tagger's additions removed (variant and
// intervention tags, id_numeric, id_string), so the timed run tags
// stage-3-shaped data as the pipeline does. Run it as a separate process:
// peak memory is measured for the whole process. See run.sh.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/steps/tag"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/tag:", err)
		os.Exit(1)
	}
}

func run() error {
	prepare := flag.String("prepare", "", "write untagged copies of DIR's files here and exit")
	jobs := flag.Int("jobs", 4, "topics tagged at once (like sptflow run --jobs)")
	workers := flag.Int("workers", 0, "files tagged at once across topics (0: GOMAXPROCS)")
	out := flag.String("out", "", "write tagged files below this directory (default: discard)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	stop, err := harness.StartCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if flag.NArg() != 1 {
		return errors.New("usage: tag [-prepare OUT] [-jobs N] [-workers N] [-out DIR] DIR")
	}
	dir := flag.Arg(0)
	if *prepare != "" {
		return strip(dir, *prepare)
	}
	return bench(dir, *out, *jobs, *workers)
}

// topicSources lists the *.json files of every topic directory below dir.
func topicSources(dir string) (map[string][]tag.Source, int64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, 0, fmt.Errorf("no <topic>/*.json files below %s", dir)
	}
	topics := map[string][]tag.Source{}
	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, 0, err
		}
		size += st.Size()
		topic := filepath.Base(filepath.Dir(f))
		topics[topic] = append(topics[topic], tag.Source{Name: filepath.Base(f),
			Read: func() ([]byte, error) { return os.ReadFile(f) }, ReadTo: func(dst []byte) ([]byte, error) { return readTo(f, dst) }})
	}
	return topics, size, nil
}

// readTo reads file f into dst's storage, as the step reads its upstream
// files into reused buffers.
func readTo(f string, dst []byte) ([]byte, error) {
	fh, err := os.Open(f)
	if err != nil {
		return dst, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return dst, err
	}
	if need := int(st.Size()) + 512; cap(dst) < need {
		dst = make([]byte, 0, need)
	}
	buf := bytes.NewBuffer(dst[:0])
	_, err = buf.ReadFrom(fh)
	return buf.Bytes(), err
}

func bench(dir, out string, jobs, workers int) error {
	topics, size, err := topicSources(dir)
	if err != nil {
		return err
	}
	var (
		mu       sync.Mutex
		nfiles   int
		outBytes int64
		records  int
		sum      = sha256.New()
	)
	lim := tag.NewLimiter(workers)
	start := time.Now()
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(jobs)
	for topic, srcs := range topics {
		g.Go(func() error {
			sink := tag.BytesSink(func(name string, data []byte) error {
				mu.Lock()
				nfiles++
				outBytes += int64(len(data))
				mu.Unlock()
				p := filepath.Join(out, topic, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				return os.WriteFile(p, data, 0o644)
			})
			if out == "" {
				sink = countSink(&mu, &nfiles, &outBytes)
			}
			r, err := tag.Partition(ctx, topic, srcs, lim, sink)
			if err != nil {
				return err
			}
			mu.Lock()
			records += r.IDs
			fmt.Fprintf(sum, "%s %d %d\n", topic, r.IDs, r.Tags[tag.TrainingDataLeakage])
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	wall := time.Since(start)
	cpu := harness.CPUTime()
	fmt.Printf("files %d  input %.1f MB  output %.1f MB  intervention records %d\n",
		nfiles, float64(size)/1e6, float64(outBytes)/1e6, records)
	fmt.Printf("wall %.3f s  cpu %.3f s  throughput %.0f MB/s  peak RSS %.1f MB\n",
		wall.Seconds(), cpu.Seconds(), float64(size)/1e6/wall.Seconds(), harness.PeakRSSMB())
	return nil
}

// countSink is a tag.Sink that counts the files and bytes it is given and
// keeps nothing, so that the timed work is the tag step's own (the
// pipeline's sink streams to the store instead).
func countSink(mu *sync.Mutex, nfiles *int, outBytes *int64) tag.Sink {
	return func(name string, encode func(io.Writer) error) error {
		var c counter
		if err := encode(&c); err != nil {
			return err
		}
		mu.Lock()
		*nfiles++
		*outBytes += int64(c)
		mu.Unlock()
		return nil
	}
}

// counter is an io.Writer that counts bytes.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
