package engine

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
)

// An input problem is one matched file of a partition that cannot be used:
// not a regular file (a FIFO, a device, a directory behind a link), a
// dangling link or a link loop, an unreadable file or directory, or a file
// over the data-file size limit. It belongs to its partition alone: the
// engine is still built, that partition fails when the run reaches it
// (Engine.key returns the problem) and status shows it, while partitions
// without problems (other topics) run.

// matchInputFiles is MatchInputs that sets per-file problems apart: err is
// a configuration error (a required input missing, a file input that is a
// directory), problems join every per-file problem. Files over max bytes
// (max <= 0: no limit) are problems and are not digested.
func matchInputFiles(root string, ins []InputSpec, digest func(abs string, fi fs.FileInfo) (Digest, int64, error), max int64) (files []InputFile, problems, err error) {
	matched, err := matchInputList(root, ins, max)
	if err != nil {
		return nil, nil, err
	}
	files, problems = digestMatched(matched, func(abs string, fi fs.FileInfo, _ store.Observer) (Digest, int64, bool, error) {
		d, size, err := digest(abs, fi)
		return d, size, false, err
	}, nil, nil, nil)
	return files, problems, nil
}

// matchedInput is one entry of a matched input list: a regular file within
// the size limit, with its os.Stat, or a problem.
type matchedInput struct {
	f    InputFile
	fi   fs.FileInfo
	prob error
}

// matchInputList matches the files of ins and checks each (a regular file
// within max bytes) without reading it; per-file problems are entries of
// the list, in the order they were met.
func matchInputList(root string, ins []InputSpec, max int64) ([]matchedInput, error) {
	var out []matchedInput
	for i, in := range ins {
		p := in.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		matched, walkProbs, err := matchInput(p, in.Pattern, func(abs string) string { return shownPath(root, abs) })
		if errors.Is(err, os.ErrNotExist) {
			if in.Optional {
				continue
			}
			return nil, fmt.Errorf("missing input %s", in.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", in.Path, err)
		}
		for _, err := range walkProbs {
			out = append(out, matchedInput{prob: err})
		}
		for _, m := range matched {
			f := InputFile{Abs: m[0], Rel: m[1], Name: portableName(root, i, m[0], m[1]), Spec: i}
			fi, err := regfile.Check(f.Abs, max)
			if err != nil {
				out = append(out, matchedInput{prob: inputProblem(f.shown(), err)})
				continue
			}
			out = append(out, matchedInput{f: f, fi: fi})
		}
	}
	return out, nil
}

// digestMatched digests the files of a matched list: those known (the stat
// cache vouches for them; known may be nil) at once, the others GOMAXPROCS
// at a time (a cold run's first digest of its inputs is SHA-256 of every
// byte, on all cores), so that a run whose inputs are all known, a no-op,
// starts no goroutine and wakes no thread for them. With pair (may be nil)
// the files to read go two at a time, the largest first, each with the one
// nearest its size, so that the paired hashing (store.DigestStat2) covers
// most of their bytes. Files and problems keep the list's order: problems
// join the list's problems and the files that could not be digested.
//
// With observe (may be nil; Plan.Observe), each file that is read is
// handed to it in the same read, and what it returns becomes the file's
// Observed value when the digest is of the bytes it saw.
func digestMatched(matched []matchedInput, digest inputDigester, pair pairDigester, known knownDigester, observe func(InputFile, []byte) any) (files []InputFile, problems error) {
	type result struct {
		f        InputFile
		prob     error
		observed any
	}
	res := make([]result, len(matched))
	set := func(i int, d Digest, size int64, observed bool, err error) {
		if err != nil {
			res[i].prob = inputProblem(matched[i].f.shown(), err)
			return
		}
		res[i].f = matched[i].f
		res[i].f.Digest, res[i].f.Size = d, size
		if observed {
			res[i].f.observed = &observation{res[i].observed}
		}
	}
	observer := func(i int) store.Observer {
		if observe == nil {
			return nil
		}
		// Called by one goroutine at a time for i; a later read (the file
		// changed) overwrites an earlier one's value.
		return func(data []byte) { res[i].observed = observe(matched[i].f, data) }
	}
	var todo []int
	for i, m := range matched {
		if m.prob != nil {
			res[i].prob = m.prob
			continue
		}
		if known != nil {
			if d, size, ok := known(m.f.Abs, m.fi); ok {
				set(i, d, size, false, nil)
				continue
			}
		}
		todo = append(todo, i)
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	if pair != nil && len(todo) > 1 {
		sort.SliceStable(todo, func(x, y int) bool { return matched[todo[x]].fi.Size() > matched[todo[y]].fi.Size() })
		for ; len(todo) > 1; todo = todo[2:] {
			a, b := todo[0], todo[1]
			g.Go(func() error {
				x, y := pair(matched[a].f.Abs, matched[b].f.Abs, matched[a].fi, matched[b].fi, observer(a), observer(b))
				set(a, x.Digest, x.Size, x.Observed, x.Err)
				set(b, y.Digest, y.Size, y.Observed, y.Err)
				return nil
			})
		}
	}
	for _, i := range todo {
		g.Go(func() error {
			d, size, observed, err := digest(matched[i].f.Abs, matched[i].fi, observer(i))
			set(i, d, size, observed, err)
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no errors: problems are results
	var probs []error
	for _, r := range res {
		if r.prob != nil {
			probs = append(probs, r.prob)
			continue
		}
		files = append(files, r.f)
	}
	return files, errors.Join(probs...)
}

// inputDigester digests the regular file at the absolute path abs, whose
// os.Stat is fi (so that it need not stat it again), handing the bytes it
// reads to o (may be nil) as store.DigestStatObserved does.
type inputDigester func(abs string, fi fs.FileInfo, o store.Observer) (d Digest, size int64, observed bool, err error)

// pairDigester digests two such files at once (store.DigestStat2Observed).
type pairDigester func(a, b string, fa, fb fs.FileInfo, oa, ob store.Observer) (x, y store.FileDigest)

// knownDigester returns what an inputDigester would for the file without
// reading it, from what is already known of it (store.KnownDigestStat);
// ok is false when the file must be read.
type knownDigester func(abs string, fi fs.FileInfo) (d Digest, size int64, ok bool)

// inputProblem words a per-file problem: "input topics/a/x.json: not a
// regular file (a named pipe)", without repeating the absolute path.
func inputProblem(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var tl *regfile.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("input %s: %w (the data-file limit; SPTFLOW_MAX_DATA_FILE raises it)", name, err)
	}
	return fmt.Errorf("input %s: %w", name, err)
}

// matchInput returns [absolute, relative] pairs: the file itself when
// pattern is empty, else the files below dir whose relative path matches.
// Unreadable directories at or below p are problems, not errors (the walk
// goes on), named by shown.
func matchInput(p, pattern string, shown func(abs string) string) (out [][2]string, problems []error, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if pattern == "" {
		if fi.IsDir() {
			return nil, nil, fmt.Errorf("%s is a directory, not a file", p)
		}
		return [][2]string{{p, filepath.Base(p)}}, nil, nil
	}
	err = filepath.WalkDir(p, func(f string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(p, f)
		rel = filepath.ToSlash(rel)
		if err != nil {
			if f == p && errors.Is(err, fs.ErrNotExist) {
				return err // gone since the Stat: missing, as before it
			}
			problems = append(problems, fmt.Errorf("input directory %s: %w", shown(f), unwrapPath(err)))
			return nil
		}
		if !matchPattern(pattern, rel) {
			return nil
		}
		if d.IsDir() {
			if namesFiles(pattern) {
				problems = append(problems, fmt.Errorf("input %s: a directory, where the pattern %s names data files", shown(f), pattern))
			}
			return nil
		}
		out = append(out, [2]string{f, rel})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i][1] < out[j][1] })
	return out, problems, err
}

// namesFiles reports whether a pattern's last element has literal text
// (batch_*.json, results_*.json): what it matches are data files, and a
// directory of such a name is a file replaced by mistake, a problem of its
// partition rather than a file silently left out. A last element of
// wildcards only (*) matches directories as readily as files, and those
// are skipped.
func namesFiles(pattern string) bool {
	last := pattern[strings.LastIndex(pattern, "/")+1:]
	return strings.Trim(last, "*?") != ""
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// InputProblems returns, for each partition with input problems, the
// problems found when its inputs were matched (validate reports them as
// warnings; the run fails those partitions).
func (e *Engine) InputProblems() map[PartitionID]error {
	out := map[PartitionID]error{}
	for id, n := range e.nodes {
		if err := n.inputProblems(); err != nil {
			out[id] = err
		}
	}
	return out
}

// ReadInput reads a matched input file whole, refusing anything but the
// regular file of at most the size it was matched with, so memory stays
// bounded by the size the engine checked against the data-file limit.
func ReadInput(f InputFile) ([]byte, error) {
	b, err := regfile.Read(f.Abs, max(f.Size, 1))
	if err != nil {
		return nil, readInputErr(f, err)
	}
	return b, nil
}

// problemList splits joined input problems into one reason each.
func problemList(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// openSealedInput opens the input file abs that was sealed as f (a
// reference), streaming: the caller holds at most what it reads, and the
// reader fails with "changed" as soon as the file differs from f in size
// or, once f.Size bytes are read, in digest.
func openSealedInput(abs string, f store.ManifestFile) (io.ReadCloser, error) {
	return openSealedInputVia(nil, abs, f)
}

// openSealedInputVia is openSealedInput that, given the store st, does not
// hash a file whose stat signature the stat cache knows with f's digest
// (the digest its key was computed from): it only checks at the end that
// the signature did not change while it was read (inputs_known.go).
func openSealedInputVia(st *store.Store, abs string, f store.ManifestFile) (io.ReadCloser, error) {
	changed := fmt.Errorf("referenced input %s changed since it was sealed as %s; run again to pick up the change", abs, f.Path)
	file, fi, err := regfile.Open(abs, 0)
	if err != nil {
		return nil, fmt.Errorf("open referenced input %s: %w", f.External, err)
	}
	if fi.Size() != f.Size {
		file.Close()
		return nil, changed
	}
	if st != nil {
		if d, ok := st.KnownDigest(abs, fi); ok && d == f.Digest {
			return &knownInputReader{f: file, fi: fi, want: f.Digest, changed: changed}, nil
		}
	}
	return &sealedReader{f: file, r: io.LimitReader(file, f.Size+1), h: sha256.New(), want: f.Digest, size: f.Size, changed: changed}, nil
}

// sealedReader checks what it reads against a sealed size and digest.
type sealedReader struct {
	f       *os.File
	r       io.Reader
	h       hash.Hash
	want    Digest
	size, n int64
	changed error
	err     error
}

func (r *sealedReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	switch {
	case r.n > r.size, err == io.EOF && r.n < r.size:
		err = r.changed
	case r.n == r.size && (err == nil || err == io.EOF):
		var got Digest
		if r.h.Sum(got[:0]); got != r.want {
			err = r.changed
		}
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *sealedReader) Close() error { return r.f.Close() }

// readInputErr is ReadInput's error for f: a file grown past the size it was
// matched with says so, anything else is wrapped.
func readInputErr(f InputFile, err error) error {
	var tl *regfile.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("read input %s: it grew since it was matched (%d bytes then); run again", f.Abs, f.Size)
	}
	return fmt.Errorf("read input: %w", err)
}
