package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/engine/store/remote"
)

// defaultRemoteGrace is how young a remote entry must be to be kept
// unpinned: longer than any run, so that what a run on another machine is
// pushing (objects before their pointer, pointers not yet in a committed
// lock) is never collected.
const defaultRemoteGrace = 7 * 24 * time.Hour

// storeGCFlags are the flags of `sptflow store gc`.
type storeGCFlags struct {
	keepRefs *string
	grace    *time.Duration
	dryRun   *bool
}

func gcFlags(fs *flag.FlagSet) *storeGCFlags {
	return &storeGCFlags{
		keepRefs: fs.String("keep-refs", "", "gc: keep what every sptflow.lock in these comma-separated git `REFS` pins (default: the current branch and HEAD)"),
		grace:    fs.Duration("grace", defaultRemoteGrace, "gc: keep unpinned remote entries younger than `D`, longer than any run so a run in progress elsewhere is never collected"),
		dryRun:   fs.Bool("dry-run", false, "gc: list what would be deleted, with sizes, and delete nothing"),
	}
}

// storeGC is `sptflow store gc`: it collects the remote store at url,
// keeping what the locks of the git refs pin (remote.GC says what else).
func storeGC(ctx context.Context, e *env, url string, f storeGCFlags) error {
	if *f.grace < 0 {
		return fmt.Errorf("%w: --grace %v: want a duration of zero or more", errUsage, *f.grace)
	}
	refs, err := keepRefs(ctx, *f.keepRefs)
	if err != nil {
		return err
	}
	pins, locks, err := refsPins(ctx, refs)
	if err != nil {
		return err
	}
	rs, err := remote.Open(ctx, url, remote.Options{})
	if err != nil {
		return err
	}
	defer rs.Close()
	st, err := remote.GC(ctx, rs, remote.GCOptions{Pins: pins, Cutoff: time.Now().Add(-*f.grace), DryRun: *f.dryRun})
	verb := "deleted"
	if *f.dryRun {
		verb = "would delete"
		for _, d := range st.Deleted {
			fmt.Fprintf(e.stdout, "would delete %s (%d bytes)\n", d.Key, d.Size)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %d entries (%d bytes) from %s\n", verb, len(st.Deleted), st.Bytes, rs.URL())
	fmt.Fprintf(e.stdout, "kept %d outputs and %d objects: %d pins from %s in %s, and what is younger than %v (%d entries)\n",
		st.KeptOutputs, st.KeptObjects, len(pins), plural(locks, "lock file"), strings.Join(refs, ", "), *f.grace, st.FreshEntries)
	fmt.Fprintf(e.stdout, "kept %d records (request records are never collected)\n", st.KeptRecords)
	if len(st.PinsAbsent) > 0 {
		fmt.Fprintf(e.stdout, "%d pinned outputs are not in the remote store (push them with sptflow store push)\n", len(st.PinsAbsent))
	}
	return nil
}

// keepRefs is the comma-separated list of git refs, or the current branch
// and HEAD.
func keepRefs(ctx context.Context, list string) ([]string, error) {
	var refs []string
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r != "" {
			refs = append(refs, r)
		}
	}
	if len(refs) > 0 {
		return refs, nil
	}
	refs = []string{"HEAD"}
	if b, err := git(ctx, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		refs = append([]string{strings.TrimSpace(string(b))}, refs...)
	}
	return refs, nil
}

// refsPins lists what the locks of refs pin, each pin once, and how many
// lock files that is: refs naming one commit (the branch and HEAD, by
// default) are read once, and a pin in several locks counts once.
func refsPins(ctx context.Context, refs []string) ([]remote.Pin, int, error) {
	var pins []remote.Pin
	seenPin, seenLock := map[remote.Pin]bool{}, map[string]bool{}
	for _, ref := range refs {
		rp, locks, err := refPins(ctx, ref)
		if err != nil {
			return nil, 0, err
		}
		for _, l := range locks {
			seenLock[l] = true
		}
		for _, p := range rp {
			if !seenPin[p] {
				seenPin[p] = true
				pins = append(pins, p)
			}
		}
	}
	return pins, len(seenLock), nil
}

// refPins lists what every sptflow.lock in the tree of ref pins, and the
// lock files it read (COMMIT:PATH). A lock that cannot be read fails:
// collecting with a pin missing would delete what it pins.
func refPins(ctx context.Context, ref string) ([]remote.Pin, []string, error) {
	commit, err := git(ctx, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --keep-refs: %q is no commit of the git repository here: %w", errUsage, ref, err)
	}
	rev := strings.TrimSpace(string(commit))
	names, err := git(ctx, "ls-tree", "-r", "--name-only", "-z", rev)
	if err != nil {
		return nil, nil, err
	}
	var pins []remote.Pin
	var locks []string
	for _, name := range strings.Split(strings.TrimRight(string(names), "\x00"), "\x00") {
		if path.Base(name) != "sptflow.lock" {
			continue
		}
		b, err := git(ctx, "show", rev+":"+name)
		if err != nil {
			return nil, nil, err
		}
		where := ref + ":" + name
		lf, err := store.ParseLockFile(where, b, lockyaml.Codec{})
		if err != nil {
			return nil, nil, fmt.Errorf("read lock %s: %w", where, err)
		}
		p, err := lockFilePins(where, lf)
		if err != nil {
			return nil, nil, err
		}
		pins, locks = append(pins, p...), append(locks, rev+":"+name)
	}
	return pins, locks, nil
}

// git runs git with args in the working directory and returns its stdout.
func git(ctx context.Context, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
		}
		return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return out.Bytes(), nil
}
