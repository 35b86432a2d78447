package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/engine/store/remote"
)

// remoteEnv names the remote store when no --remote flag does.
const remoteEnv = "SPTFLOW_REMOTE"

// cmdStore dispatches `sptflow store selftest|push|pull|gc`.
func cmdStore(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("store") // the global flags: --set and --data for push/pull PIPELINE
	remoteURL := fs.String("remote", "", "remote store `URL` for push, pull and gc (default $"+remoteEnv+")")
	lockPath := fs.String("lock", "", "push or pull what lock `FILE` pins (default: the project's sptflow.lock)")
	gc := gcFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: sptflow store selftest URL | push [PIPELINE] | pull [PIPELINE] | gc", errUsage)
	}
	switch sub, rest := pos[0], pos[1:]; sub {
	case "selftest":
		if len(rest) != 1 {
			return fmt.Errorf("%w: sptflow store selftest URL", errUsage)
		}
		return storeSelftest(ctx, e, rest[0])
	case "push", "pull":
		if len(rest) == 1 && *lockPath == "" {
			return storePipelineSync(ctx, e, sub, *remoteURL, rest[0])
		}
		if len(rest) > 0 {
			return fmt.Errorf("%w: sptflow store %s takes one PIPELINE, or --lock FILE", errUsage, sub)
		}
		url := orDefault(*remoteURL, os.Getenv(remoteEnv))
		if url == "" {
			return fmt.Errorf("%w: sptflow store %s needs --remote URL or $%s", errUsage, sub, remoteEnv)
		}
		return storeSync(ctx, e, sub, url, *lockPath)
	case "gc":
		if len(rest) > 0 {
			return fmt.Errorf("%w: sptflow store gc takes no arguments (--remote URL, --keep-refs REFS, --grace D, --dry-run)", errUsage)
		}
		url := orDefault(*remoteURL, os.Getenv(remoteEnv))
		if url == "" || url == remoteOff {
			return fmt.Errorf("%w: sptflow store gc needs --remote URL or $%s", errUsage, remoteEnv)
		}
		return storeGC(ctx, e, url, *gc)
	default:
		if s := suggestName(sub, []string{"selftest", "push", "pull", "gc"}); s != "" {
			return fmt.Errorf("%w: unknown store command %q; did you mean %q?", errUsage, sub, s)
		}
		return fmt.Errorf("%w: unknown store command %q (want selftest, push, pull or gc)", errUsage, sub)
	}
}

// storeSelftest runs remote.Selftest against url and prints one line a
// check; any failed check fails the command.
func storeSelftest(ctx context.Context, e *env, url string) error {
	rs, err := remote.Open(ctx, url, remote.Options{})
	if err != nil {
		return err
	}
	defer rs.Close()
	fmt.Fprintf(e.stdout, "selftest of %s\n", rs.URL())
	failed := 0
	checks := remote.Selftest(ctx, rs)
	for _, c := range checks {
		took := c.Took.Round(time.Millisecond)
		if c.Err != nil {
			failed++
			fmt.Fprintf(e.stdout, "FAIL  %-30s %v (%v)\n", c.Name, c.Err, took)
			continue
		}
		fmt.Fprintf(e.stdout, "ok    %-30s %s (%v)\n", c.Name, c.Detail, took)
	}
	if failed > 0 {
		fmt.Fprintf(e.stdout, "%d of %d checks failed\n", failed, len(checks))
		return errQuiet
	}
	fmt.Fprintf(e.stdout, "all %d checks passed\n", len(checks))
	return nil
}

// storeSync pushes or pulls what the lock file pins, between the project's
// store and the remote store at url.
func storeSync(ctx context.Context, e *env, dir, url, lockPath string) error {
	root, err := lockRoot(lockPath)
	if err != nil {
		return err
	}
	if lockPath == "" {
		lockPath = filepath.Join(root, "sptflow.lock")
	}
	pins, err := lockPins(lockPath)
	if err != nil {
		return err
	}
	local, err := store.Open(storeDir(root))
	if err != nil {
		return err
	}
	rs, err := remote.Open(ctx, url, remote.Options{OnDamage: func(_ context.Context, key string, err error) {
		fmt.Fprintf(e.stderr, "sptflow: refused a damaged remote entry: %v\n", err)
	}})
	if err != nil {
		return err
	}
	defer rs.Close()
	sync, verb, prep, source := remote.Push, "pushed", "to", "local"
	if dir == "pull" {
		sync, verb, prep, source = remote.Pull, "pulled", "from", "remote"
	}
	stats, err := sync(ctx, local, rs, pins)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %d of %d pinned partitions (%d objects, %d bytes copied) %s %s; %d already there; %d refused as damaged\n",
		verb, stats.Partitions-stats.Present, len(pins), stats.Objects, stats.Bytes, prep, rs.URL(), stats.Present, rs.Damaged())
	printUnsynced(e.stdout, stats)
	if dir == "push" {
		recs := local.RecordLog(requestsNamespace)
		defer recs.Close()
		if err := pushRequestRecords(ctx, e, recs, rs); err != nil {
			return err
		}
	}
	return unsyncedErr(stats, "pinned ", source)
}

// lockRoot is the project root: the lock file's directory's, or the
// working directory's.
func lockRoot(lockPath string) (string, error) {
	dir := filepath.Dir(lockPath)
	if lockPath == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return pipeline.FindProjectRoot(abs), nil
}

// lockPins lists the entries of a lock file, sorted by pipeline and
// partition.
func lockPins(path string) ([]remote.Pin, error) {
	lf, err := store.ReadLockFile(path, lockyaml.Codec{})
	if err != nil {
		return nil, err
	}
	return lockFilePins(path, lf)
}

// lockFilePins lists the entries of lf, read from path, sorted by pipeline
// and partition.
func lockFilePins(path string, lf *store.LockFile) ([]remote.Pin, error) {
	var pins []remote.Pin
	for _, pl := range slices.Sorted(maps.Keys(lf.Pipelines)) {
		parts := lf.Pipelines[pl]
		for _, part := range slices.Sorted(maps.Keys(parts)) {
			ent := parts[part]
			k, err := engine.ParseNodeKey(ent.Key)
			if err != nil {
				return nil, fmt.Errorf("%s: %s/%s: %w", path, pl, part, err)
			}
			d, err := store.ParseDigest(ent.Output)
			if err != nil {
				return nil, fmt.Errorf("%s: %s/%s: %w", path, pl, part, err)
			}
			pins = append(pins, remote.Pin{Name: pl + "/" + part, Key: k, Manifest: d})
		}
	}
	return pins, nil
}
