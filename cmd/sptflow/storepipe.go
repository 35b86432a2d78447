package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/engine/store/remote"
)

// storePipelineSync is `sptflow store push|pull PIPELINE`: it copies what
// the pipeline's entries in the project's lock pin or, without any, every
// partition whose current key the source store holds (pull: sealed in the
// remote store; push: sealed locally, without failed rows). Pull
// materializes nothing (run does, executing nothing); push also pushes
// the request records.
func storePipelineSync(ctx context.Context, e *env, dir, url, path string) error {
	if url != "" {
		// The flag wins over $SPTFLOW_REMOTE and the pipeline's remote:
		// for the status that computes the keys, as for the copy.
		if _, err := remote.ParseURL(url); err != nil {
			return fmt.Errorf("%w: --remote: %w", errUsage, err)
		}
		os.Setenv(remoteEnv, url)
	}
	log, err := e.logger(nil)
	if err != nil {
		return err
	}
	pr, err := e.open(path, engine.RunOptions{}, log.Level(max(log.GetLevel(), zerolog.WarnLevel)))
	if err != nil {
		return err
	}
	defer pr.close()
	if pr.shared == nil {
		return fmt.Errorf("%w: sptflow store %s needs --remote URL, $%s or the pipeline's remote:", errUsage, dir, remoteEnv)
	}
	rs := pr.shared.rs
	pins, from, err := pipelinePins(ctx, pr, dir)
	if err != nil {
		return err
	}
	sync, verb, prep, source := remote.Push, "pushed", "to", "local"
	if dir == "pull" {
		sync, verb, prep, source = remote.Pull, "pulled", "from", "remote"
	}
	stats, err := sync(ctx, pr.st, rs, pins)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %d of %d partitions %s (%d objects, %d bytes copied) %s %s; %d already there; %d refused as damaged\n",
		verb, stats.Partitions-stats.Present, len(pins), from, stats.Objects, stats.Bytes, prep, rs.URL(), stats.Present, rs.Damaged())
	printUnsynced(e.stdout, stats)
	if dir == "push" {
		if err := pushRequestRecords(ctx, e, pr.records, rs); err != nil {
			return err
		}
	}
	return unsyncedErr(stats, "", source)
}

// pipelinePins is what push or pull of the project's pipeline copies: the
// pipeline's lock entries when the lock has any, else the partitions whose
// current key the source store holds. from says which, for the summary.
func pipelinePins(ctx context.Context, pr *project, dir string) ([]remote.Pin, string, error) {
	lf, err := store.ReadLockFile(pr.lockPath, lockyaml.Codec{})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	if err == nil {
		all, err := lockFilePins(pr.lockPath, lf)
		if err != nil {
			return nil, "", err
		}
		var pins []remote.Pin
		for _, p := range all {
			if strings.HasPrefix(p.Name, pr.p.Name+"/") {
				pins = append(pins, p)
			}
		}
		if len(pins) > 0 {
			return pins, "pinned by the lock", nil
		}
	}
	sts, err := pr.eng.Status(ctx)
	if err != nil {
		return nil, "", err
	}
	var pins []remote.Pin
	for _, st := range sts {
		if st.State != engine.UpToDate || st.FailedRows > 0 || (st.Remote && dir == "push") {
			continue
		}
		pins = append(pins, remote.Pin{Name: pr.p.Name + "/" + string(st.ID), Key: st.Key, Manifest: st.Output})
	}
	return pins, "at their current keys", nil
}

// pushRequestRecords pushes the project's request records (what was paid
// for), create-only, and prints the counts.
func pushRequestRecords(ctx context.Context, e *env, recs remote.LocalRecords, rs *remote.Store) error {
	rst, err := remote.PushRecords(ctx, recs, rs, requestsNamespace)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pushed %d request records to %s; %d already there\n", rst.Pushed, rs.URL(), rst.Present)
	return nil
}

// printUnsynced lists the partitions a push or pull could not copy: those
// the source lacks, and those the remote store held damaged.
func printUnsynced(w io.Writer, stats remote.SyncStats) {
	for _, name := range stats.Missing {
		fmt.Fprintf(w, "missing %s\n", name)
	}
	for _, name := range stats.Damaged {
		fmt.Fprintf(w, "damaged %s (refused, and deleted from the remote store; a run makes it again and pushes it)\n", name)
	}
}

// unsyncedErr is the error of a push or pull that could not copy every
// partition (nil when it did); what qualifies "partition" ("pinned ").
func unsyncedErr(stats remote.SyncStats, what, source string) error {
	var errs []error
	if n := len(stats.Missing); n > 0 {
		errs = append(errs, fmt.Errorf("%s not in the %s store", plural(n, what+"partition"), source))
	}
	if n := len(stats.Damaged); n > 0 {
		errs = append(errs, fmt.Errorf("%s damaged in the %s store", plural(n, what+"partition"), source))
	}
	return errors.Join(errs...)
}
