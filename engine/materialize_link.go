package engine

import "github.com/sptflow/sptflow/engine/store"

// placeObject puts f's stored object at abs without a second copy where the
// file system allows (store.MaterializeObject: reflink, else a hard link to
// the object made read-only, else a copy). A user who edits a hard-linked
// file in place anyway edits the object: the store finds the object
// changed on its next check and treats it as damaged (the partition runs
// again), and status reports the file modified.
func (e *Engine) placeObject(f store.ManifestFile, abs string) error {
	how, err := e.opt.Store.MaterializeObject(f.Digest, abs)
	if err == nil {
		e.opt.Log.Debug().Str("file", f.Path).Stringer("how", how).Msg("materialized")
	}
	return err
}
