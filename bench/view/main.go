// Command view-bench measures `sptflow view` on the published data
// ($SPT_REFERENCE_DATA/stage_3_tagged, or -data) and on a copy of it
// -scale times over (made in a temporary directory, each copy's topics
// renamed so its items stay distinct): the index build's time, size and
// peak memory, then, in a fresh process over the built index as a
// restarted viewer would be, the time to the first page (the first 50 rows
// and every facet's counts), a filtered page, a full-text search, a
// lineage, and that process's peak memory.
//
//	go run ./bench/view -scale 10
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/view"
)

func main() {
	data := flag.String("data", "", "a directory of stage-3 files (default $SPT_REFERENCE_DATA/stage_3_tagged)")
	scale := flag.Int("scale", 10, "also measure a copy of the data this many times over (1: only the data)")
	viewOnly := flag.String("view-only", "", "internal: measure the first view over the index in `DIR`")
	flag.Parse()
	if err := run(*data, *scale, *viewOnly); err != nil {
		fmt.Fprintln(os.Stderr, "view-bench:", err)
		os.Exit(1)
	}
}

func run(data string, scale int, viewOnly string) error {
	ctx := context.Background()
	if viewOnly != "" {
		return firstView(ctx, data, viewOnly)
	}
	if data == "" {
		ref, err := harness.RefData()
		if err != nil {
			return err
		}
		data = filepath.Join(ref, "stage_3_tagged")
	}
	fmt.Printf("load average: %s\n", harness.LoadAvg())
	if err := measure(ctx, "published data", data); err != nil {
		return err
	}
	if scale <= 1 {
		return nil
	}
	tmp, err := os.MkdirTemp("", "sptflow-view-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	big := filepath.Join(tmp, "data")
	if err := scaled(data, big, scale); err != nil {
		return err
	}
	return measure(ctx, fmt.Sprintf("%d× copy", scale), big)
}

// measure builds the index of dir in a fresh process's view of it: the
// build here, the first view in a child process.
func measure(ctx context.Context, label, dir string) error {
	idx, err := os.MkdirTemp("", "sptflow-view-index-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(idx)
	size := dirSize(dir)
	cmd := exec.Command(os.Args[0], "-view-only", idx, "-data", dir)
	cmd.Env = append(os.Environ(), "VIEW_BENCH_BUILD=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	fmt.Printf("\n== %s: %s, %.0f MB\n", label, dir, float64(size)/1e6)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	cmd = exec.Command(os.Args[0], "-view-only", idx, "-data", dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// firstView opens (building, under VIEW_BENCH_BUILD) the index and
// prints the timings and the process's peak memory.
func firstView(ctx context.Context, data, idx string) error {
	src := view.Source{Name: "bench", Dir: data}
	start, cpu0 := time.Now(), harness.CPUTime()
	ix, err := view.OpenIndex(ctx, src, idx)
	if err != nil {
		return err
	}
	defer ix.Close()
	open := time.Since(start)
	if os.Getenv("VIEW_BENCH_BUILD") == "1" {
		fi, _ := os.Stat(ix.Path)
		fmt.Printf("index build: %.1f s wall, %.1f s CPU; %d records, %d answers, %d items; index %.0f MB; peak RSS %.0f MB\n",
			ix.Built.Seconds(), (harness.CPUTime() - cpu0).Seconds(), ix.Counts[3], ix.Counts[2], ix.Counts[1], float64(fi.Size())/1e6, harness.PeakRSSMB())
		return nil
	}
	t, cpu1 := time.Now(), harness.CPUTime()
	p, err := ix.Rows(ctx, view.ParseQuery(url.Values{}))
	if err != nil {
		return err
	}
	if _, err := ix.Facets(ctx, view.ParseQuery(url.Values{})); err != nil {
		return err
	}
	first, firstCPU := time.Since(t), harness.CPUTime()-cpu1
	timeIt := func(v url.Values) (time.Duration, int, error) {
		t := time.Now()
		q := view.ParseQuery(v)
		p, err := ix.Rows(ctx, q)
		if err != nil {
			return 0, 0, err
		}
		_, err = ix.Facets(ctx, q)
		return time.Since(t), p.Total, err
	}
	filt, nf, err := timeIt(url.Values{"verdict": {"FAIL"}, "itype": {"split_personality"}, "sort": {"confidence"}, "page": {"5"}})
	if err != nil {
		return err
	}
	search, ns, err := timeIt(url.Values{"q": {"flattery"}})
	if err != nil {
		return err
	}
	t = time.Now()
	if _, err := ix.Lineage(ctx, p.Rows[0].ID); err != nil {
		return err
	}
	lin := time.Since(t)
	fmt.Printf("open index %v; first page (50 of %d rows) and facets %v (%v CPU); filter+sort page %v (%d rows); search \"flattery\" %v (%d rows); lineage %v; peak RSS %.0f MB\n",
		open.Round(time.Millisecond), p.Total, first.Round(time.Millisecond), firstCPU.Round(time.Millisecond), filt.Round(time.Millisecond), nf, search.Round(time.Millisecond), ns, lin.Round(time.Millisecond), harness.PeakRSSMB())
	return nil
}

// scaled copies the stage-3 files of src into dst n times, renaming the
// topic of copy i (directory and the file's "topic" field) to <topic>_x<i>.
func scaled(src, dst string, n int) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		topic := filepath.Base(filepath.Dir(p))
		for i := range n {
			name := fmt.Sprintf("%s_x%d", topic, i)
			out := bytes.Replace(b, []byte(`"topic": "`+topic+`"`), []byte(`"topic": "`+name+`"`), 1)
			dir := filepath.Join(dst, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), out, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
