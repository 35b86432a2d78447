package engine

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/sptflow/sptflow/engine/store"
)

// healKey marks, in a step's context, a partition whose step runs again
// after its upstream outputs were healed (once per run).
type healKey struct{ id PartitionID }

// healUpstream is called when n's step failed. A stored file of an
// upstream output that a reader found damaged is removed (ReadObject,
// OpenObject); healUpstream re-executes every upstream partition whose
// sealed output is no longer intact, which stores its files again. It
// reports whether n's step may run again: some upstream was healed, each
// to the content n's key was computed from, and n was not healed before
// in this run (see healKey).
func (r *run) healUpstream(ctx context.Context, n *node) bool {
	if ctx.Value(healKey{n.spec.ID}) != nil || context.Cause(ctx) != nil {
		return false
	}
	healed := false
	for _, u := range r.e.g.Needs[n.spec.ID] {
		s, ok := r.output(u)
		if !ok {
			return false
		}
		_, _, err := r.e.opt.Store.GetManifest(s.key)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false
		}
		r.e.opt.Log.Warn().Err(err).Str(FieldPartition, string(u)).Str("for", string(n.spec.ID)).
			Msg("upstream output damaged; re-running it")
		r.mu.Lock()
		delete(r.outputs, u)
		r.mu.Unlock()
		if _, err := r.bring(ctx, u); err != nil {
			return false
		}
		again, ok := r.output(u)
		if !ok || ContentDigest(again.m.Files) != ContentDigest(s.m.Files) {
			return false // n's key no longer describes its input: the next run decides
		}
		healed = true
	}
	return healed
}

// finishReused finishes a reused output. A stored file found missing or
// damaged meanwhile (ErrNotFound, the damaged object removed) is not done:
// the partition is executed instead, which stores it again. It also
// restores the key's components if their entry is missing or damaged.
func (r *run) finishReused(n *node, desc KeyDesc, res *PartitionResult) (done bool, err error) {
	err = r.finishSealed(n, res, false)
	if errors.Is(err, store.ErrNotFound) {
		r.e.opt.Log.Warn().Err(err).Str(FieldPartition, string(n.spec.ID)).Msg("stored output damaged; re-running")
		r.mu.Lock()
		delete(r.outputs, n.spec.ID)
		r.mu.Unlock()
		res.Outcome, res.Output = "", Digest{}
		return false, nil
	}
	if err == nil {
		if info, merr := json.Marshal(desc); merr == nil {
			if kerr := r.e.opt.Store.EnsureKeyInfo(res.Key, info); kerr != nil {
				r.e.opt.Log.Warn().Err(kerr).Str(FieldPartition, string(n.spec.ID)).Msg("cannot restore the key's components")
			}
		}
	}
	return true, err
}
