package engine

import (
	"path/filepath"

	"github.com/sptflow/sptflow/engine/store"
)

// housekeep, at the start of a run, removes the temp files of killed
// writers and reports the store files found damaged (and ignored or
// repaired).
func (e *Engine) housekeep() {
	if tmp := e.removeLeftovers(false); tmp.Files > 0 {
		e.opt.Log.Info().Int("files", tmp.Files).Int64("bytes", tmp.Bytes).Msg("removed temporary files left by interrupted runs")
	}
	e.logStoreWarnings()
}

// logStoreWarnings logs what the store found damaged since it was last
// asked (a run asks after each partition: a request-log segment the LLM
// client could not read, say).
func (e *Engine) logStoreWarnings() {
	for _, w := range e.opt.Store.Warnings() {
		e.opt.Log.Warn().Msg(w)
	}
}

// Leftovers counts the temp files that killed writers left where this
// pipeline writes: its data directory, the project root and the store's
// temp directories (see store.TempPrefix). Run removes them.
func (e *Engine) Leftovers() store.TempStats { return e.removeLeftovers(true) }

// removeLeftovers removes (or, in a dry run, counts) the leftovers.
func (e *Engine) removeLeftovers(dryRun bool) store.TempStats {
	st := e.opt.Store.RemoveLeftovers(dryRun)
	skip := []string{e.opt.Store.Dir()}
	if dir := e.dataDir(); dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			st.Add(store.RemoveLeftovers(store.TempScan{Dir: abs, Recursive: true, Skip: skip, DryRun: dryRun}))
		}
	}
	if e.opt.LockPath != "" {
		st.Add(store.RemoveLeftovers(store.TempScan{Dir: filepath.Dir(e.opt.LockPath), DryRun: dryRun}))
	}
	return st
}
