package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
)

// openStore opens the store of the pipeline named by pos (if any) or of the
// project containing the working directory, and returns the pipeline name
// to filter by ("" for all).
func (e *env) openStore(pos []string) (*store.Store, string, string, error) {
	if len(pos) > 1 {
		return nil, "", "", fmt.Errorf("%w: want at most one pipeline file", errUsage)
	}
	if len(pos) == 1 {
		p, err := e.loadPipeline(pos[0], engine.RunOptions{})
		if err != nil {
			return nil, "", "", err
		}
		st, err := store.Open(storeDir(p.ProjectRoot))
		return st, p.Name, p.ProjectRoot, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", "", err
	}
	root := pipeline.FindProjectRoot(wd)
	st, err := store.Open(storeDir(root))
	return st, "", root, err
}

func cmdLog(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("log")
	n := fs.Int("n", 20, "show the last `N` runs")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, name, _, err := e.openStore(pos)
	if err != nil {
		return err
	}
	dirs, err := st.RunDirs()
	if err != nil {
		return err
	}
	var recs []engine.RunRecord
	for _, d := range dirs {
		evs, err := engine.ReadJournal(d)
		if err != nil {
			return err
		}
		r := engine.Summarize(filepath.Base(d), evs)
		if name == "" || r.Pipeline == name {
			recs = append(recs, r)
		}
	}
	if len(recs) > *n {
		recs = recs[len(recs)-*n:]
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stdout, "no runs recorded")
	}
	for _, r := range recs {
		printRecord(e, r)
	}
	return nil
}

func printRecord(e *env, r engine.RunRecord) {
	state := "finished"
	if r.End.IsZero() {
		state = "did not finish"
	}
	c := r.Counts
	fmt.Fprintf(e.stdout, "%s  %s  %s  %s: executed %d, cached %d, failed %d, skipped %d",
		r.ID, r.Start.Local().Format("2006-01-02 15:04:05"), r.Pipeline, state, c.Executed, c.Cached, c.Failed, c.Skipped)
	if u := r.Usage; u.Requests+u.Cached > 0 {
		fmt.Fprintf(e.stdout, "; calls %d new, %d cached; tokens %d in, %d out; $%.4f", u.Requests, u.Cached, u.InputTokens, u.OutputTokens, u.CostUSD)
	}
	fmt.Fprintf(e.stdout, "\n    sptflow %s\n", strings.Join(r.Args, " "))
	for _, f := range r.Failures {
		fmt.Fprintf(e.stdout, "    failed %s: %s\n", f.Partition, f.Error)
	}
}

func cmdGC(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("gc")
	dry := fs.Bool("dry-run", false, "count what would be removed")
	grace := fs.Duration("grace", 0, "keep entries younger than `D` (default 1h)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, _, root, err := e.openStore(pos)
	if err != nil {
		return err
	}
	lf, err := store.ReadLockFile(filepath.Join(root, "sptflow.lock"))
	if err != nil {
		return err
	}
	keep := map[[32]byte]bool{}
	for _, parts := range lf.Pipelines {
		for _, ent := range parts {
			if k, err := engine.ParseNodeKey(ent.Key); err == nil {
				keep[k] = true
			}
		}
	}
	stats, err := st.GC(keep, store.GCOptions{Grace: *grace, DryRun: *dry})
	if err != nil {
		return err
	}
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	fmt.Fprintf(e.stdout, "%s %d manifests, %d key infos, %d objects, %d temp files (%d bytes); kept %d pinned partitions\n",
		verb, stats.Manifests, stats.KeyInfos, stats.Objects, stats.Temps, stats.Bytes, len(keep))
	return nil
}
