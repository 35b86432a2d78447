package engine

import "sync"

// A partition's input files are matched when the engine is built (a
// missing required input is a configuration error then, and every matched
// file is checked to be a regular file within the data-file limit) but
// read and digested only when first needed: for its key, its task, or its
// status. A run of some targets then reads the inputs of the partitions it
// plans and no others (a `run … tag` does not digest the evaluation
// results), and each partition's files are digested once per process.

// lazyInputs are a partition's matched input files, digested on first use.
type lazyInputs struct {
	once    sync.Once
	matched []matchedInput
	digest  inputDigester
	pair    pairDigester  // may be nil
	known   knownDigester // may be nil
	// observe, when set, sees each file read for its digest (Plan.Observe).
	observe func(InputFile, []byte) any
	files   []InputFile
	err     error // the per-file problems, matching's and digesting's
}

func (in *lazyInputs) get() ([]InputFile, error) {
	in.once.Do(func() {
		in.files, in.err = digestMatched(in.matched, in.digest, in.pair, in.known, in.observe)
		in.matched, in.observe = nil, nil
	})
	return in.files, in.err
}

// files returns the partition's digested input files.
func (n *node) files() []InputFile {
	fs, _ := n.in.get()
	return fs
}

// inputProblems returns the partition's input problems (inputs.go), nil
// when every matched file could be digested: the run fails the partition
// with them.
func (n *node) inputProblems() error {
	_, err := n.in.get()
	return err
}
