package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sptflow/sptflow/engine/store"
)

// SharedStore is a store shared with other machines behind the local one
// (Options.Shared; engine/store/remote.Tier implements it). With one, a
// run reads sealed outputs locally first and then from the shared store
// (pulling them into the local store, verified), pushes what it seals,
// and takes each partition's lease in the shared store too; Status
// counts outputs sealed there as up to date.
type SharedStore interface {
	// Fetch brings the output sealed for node key into the local store,
	// every object verified against its digest; false when the shared
	// store has none, or a damaged or incomplete one.
	Fetch(ctx context.Context, key [32]byte) (bool, error)
	// Peek reads the manifest sealed for node key, verified, without
	// bringing its files.
	Peek(ctx context.Context, key [32]byte) (*store.Manifest, Digest, bool, error)
	// Publish pushes the output sealed locally for node key (manifest d),
	// create-only.
	Publish(ctx context.Context, key [32]byte, d Digest) error
	// Lease takes the lease on name, waiting while another holder has it
	// (waiting is told the holder once). The returned context ends when
	// the lease is lost; release gives it up.
	Lease(ctx context.Context, name string, waiting func(holder string)) (leased context.Context, release func(), err error)
}

// sharedManifest is Store.GetManifest read through the shared store: a
// local miss is fetched from it. A local hit the shared store lacks is
// published, so outputs sealed before the shared store was configured
// (or while it was unreachable) reach it too. Shared-store failures are
// warnings: the partition is then a miss, or stays unpublished.
func (e *Engine) sharedManifest(ctx context.Context, id PartitionID, key NodeKey) (*store.Manifest, Digest, error) {
	m, d, err := e.opt.Store.GetManifest(key)
	sh := e.opt.Shared
	if sh == nil {
		return m, d, err
	}
	log := e.opt.Log.With().Str(FieldPartition, string(id)).Logger()
	ctx = log.WithContext(ctx) // a damaged remote entry is reported with the partition
	if err == nil {
		if ManifestFailedRows(m) > 0 {
			return m, d, nil // not published (see publish)
		}
		if _, _, ok, perr := sh.Peek(ctx, key); perr == nil && !ok {
			if perr = sh.Publish(ctx, key, d); perr != nil {
				log.Warn().Err(perr).Msg("remote store: output not pushed")
			}
		}
		return m, d, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return m, d, err
	}
	ok, ferr := sh.Fetch(ctx, key)
	if ferr != nil {
		log.Warn().Err(ferr).Msg("remote store: output not pulled; producing it here")
	}
	if !ok {
		return m, d, err
	}
	log.Info().Msg("output pulled from the remote store")
	return e.opt.Store.GetManifest(key)
}

// publish pushes an output this run sealed. A failure is a warning: the
// output is sealed locally, and the next run that finds it pushes it. An
// output sealed with failed rows is not pushed: remote entries are never
// replaced, so it would stand for its key in place of the complete output
// that asking its failed rows again produces (the records of the rows that
// succeeded are pushed, so no machine pays for them twice).
func (r *run) publish(ctx context.Context, n *node, res *PartitionResult) {
	if r.e.opt.Shared == nil || res.FailedRows > 0 {
		return
	}
	if err := r.e.opt.Shared.Publish(context.WithoutCancel(ctx), res.Key, res.Output); err != nil {
		r.e.opt.Log.Warn().Err(err).Str(FieldPartition, string(n.spec.ID)).Msg("remote store: output not pushed")
	}
}

// sharedLease takes the partition's lease in the shared store (after the
// local one), so that processes on other machines do not produce it at
// the same time; the returned context ends if the lease is lost. Without
// a shared store it returns ctx and a no-op release.
func (r *run) sharedLease(ctx context.Context, n *node, key NodeKey) (context.Context, func(), error) {
	if r.e.opt.Shared == nil {
		return ctx, func() {}, nil
	}
	lctx, release, err := r.e.opt.Shared.Lease(ctx, "partition-"+key.String(), func(holder string) {
		r.e.opt.Log.Info().Str(FieldPartition, string(n.spec.ID)).Str("holder", holder).
			Msg("another machine is producing this partition; waiting for it")
	})
	if err != nil {
		return nil, nil, fmt.Errorf("take remote lease: %w", err)
	}
	go func() { // say why the partition stops, if its lease is lost
		<-lctx.Done()
		if cause := context.Cause(lctx); ctx.Err() == nil && !errors.Is(cause, context.Canceled) {
			r.e.opt.Log.Warn().Err(cause).Str(FieldPartition, string(n.spec.ID)).Msg("remote lease lost; stopping this partition")
		}
	}()
	return lctx, release, nil
}

// sharedStatus is the status of a partition whose output is not in the
// local store but sealed in the shared one.
func (e *Engine) sharedStatus(ctx context.Context, st *PartitionStatus) bool {
	if e.opt.Shared == nil {
		return false
	}
	log := e.opt.Log.With().Str(FieldPartition, string(st.ID)).Logger()
	m, d, ok, err := e.opt.Shared.Peek(log.WithContext(ctx), st.Key)
	if err != nil {
		log.Warn().Err(err).Msg("remote store unreadable")
		return false
	}
	if !ok {
		return false
	}
	st.State, st.Output, st.Content, st.manifest = UpToDate, d, ContentDigest(m.Files), m
	st.FailedRows, st.Remote = ManifestFailedRows(m), true
	return true
}
