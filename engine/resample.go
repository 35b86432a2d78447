package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine/store"
)

// WithReplica is the `with` key by which a Sampler partition says which
// draw of model samples it holds.
const WithReplica = "replica"

// Sampler is a Step whose outputs are samples drawn from models (generate,
// infer, intervene). Its `with` accepts WithReplica: 0, the default, is the
// original draw and leaves every request key as it is; N > 0 salts every
// request key of the partition, so replica N is an independent draw, cached
// and resumed like any other. The engine sets the key itself for partitions
// whose replica the lock file records (`run --resample N TARGET`), so a step
// reads one value whatever its source.
type Sampler interface {
	Step
	// SamplesModels marks the kind; the engine never calls it.
	SamplesModels()
}

// Replica is the draw of model samples a partition holds and where that
// choice comes from: "sptflow.lock (run --resample)", "run --resample" (a
// dry run, not recorded yet) or "with.replica at FILE:LINE:COL".
type Replica struct {
	N      int
	Source string
}

// resampling is an engine's replica state.
type resampling struct {
	// replicas are the Sampler partitions whose replica is not the
	// pipeline file's: recorded in the lock file, or set by this run.
	replicas map[PartitionID]Replica
	// leftOut are the downstream partitions already reported as left out
	// of a resample run (Planned and Run both plan it).
	leftOut map[PartitionID]bool
}

const (
	sourceLock = "sptflow.lock (run --resample)"
	sourceRun  = "run --resample"
)

// Replica says which draw of model samples partition id holds and where
// that comes from, when it is not simply the original draw: a replica
// recorded in the lock file (0 included, when the file says otherwise) or a
// non-zero with.replica.
func (e *Engine) Replica(id PartitionID) (Replica, bool) {
	if r, ok := e.rs.replicas[id]; ok {
		return r, true
	}
	spec := e.origSpec(id)
	if spec == nil || !e.samples(spec) {
		return Replica{}, false
	}
	if n := fileReplica(spec); n != 0 {
		return Replica{N: n, Source: "with." + WithReplica + " at " + spec.KeyPos(WithReplica)}, true
	}
	return Replica{}, false
}

// fileReplica is the replica the pipeline file gives spec (0 by default).
func fileReplica(spec *PartitionSpec) int {
	n, _ := spec.With[WithReplica].(int)
	return n
}

func (e *Engine) samples(spec *PartitionSpec) bool {
	_, ok := e.opt.Steps[spec.Kind].(Sampler)
	return ok
}

// origSpec is partition id's spec as the pipeline file gives it (a node's
// spec may carry a replica from the lock file instead).
func (e *Engine) origSpec(id PartitionID) *PartitionSpec {
	for _, s := range e.g.Partitions {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// loadReplicas reads the replicas the lock file records for this pipeline,
// before partitions are resolved. A record for a partition that no longer
// exists or no longer samples models is ignored, with a warning.
func (e *Engine) loadReplicas() error {
	e.rs = resampling{replicas: map[PartitionID]Replica{}, leftOut: map[PartitionID]bool{}}
	if e.opt.LockPath == "" {
		return nil
	}
	lf, _, err := e.loadLockFile()
	if err != nil {
		return err
	}
	recorded := lf.Replicas[e.g.Name]
	for _, id := range slices.Sorted(maps.Keys(recorded)) {
		spec := e.origSpec(PartitionID(id))
		if spec == nil || !e.samples(spec) {
			e.opt.Log.Warn().Str(FieldPartition, id).Int("replica", recorded[id]).
				Msg("sptflow.lock records a replica for a partition that does not sample models here; ignored")
			continue
		}
		e.rs.replicas[spec.ID] = Replica{N: recorded[id], Source: sourceLock}
	}
	return nil
}

// replicaSpec returns spec with the replica the engine holds for it in
// `with`: a copy whose WithReplica is set (N > 0) or removed (0, the
// default). Other specs are returned as they are.
func (e *Engine) replicaSpec(spec *PartitionSpec) *PartitionSpec {
	r, ok := e.rs.replicas[spec.ID]
	if !ok || !e.samples(spec) {
		return spec
	}
	s := *spec
	s.With, s.WithPos = maps.Clone(spec.With), maps.Clone(spec.WithPos)
	if s.With == nil {
		s.With = map[string]any{}
	}
	if s.WithPos == nil {
		s.WithPos = map[string]string{}
	}
	delete(s.With, WithReplica)
	if r.N != 0 {
		s.With[WithReplica] = r.N
	}
	s.WithPos[WithReplica] = r.Source
	return &s
}

// resample makes the Sampler partitions among sel hold replica n, in memory
// (Run records the choice in the lock file), re-resolving them, and returns
// them. When the targets were named, one that does not sample models is an
// error; otherwise (no targets: every partition) such partitions are left
// out.
func (e *Engine) resample(sel []PartitionID, n int, named bool) ([]PartitionID, error) {
	if n < 0 {
		return nil, invalid(fmt.Errorf("--resample %d: want 0 (the original samples) or more", n))
	}
	var out []PartitionID
	var errs []error
	for _, id := range sel {
		spec := e.origSpec(id)
		switch {
		case e.samples(spec):
			out = append(out, id)
		case named:
			errs = append(errs, fmt.Errorf("--resample: %s is of kind %s, which draws no model samples (kinds that do: %s)",
				id, spec.Kind, strings.Join(e.samplerKinds(), ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, invalid(errs...)
	}
	if len(out) == 0 {
		return nil, invalid(fmt.Errorf("--resample: no selected partition draws model samples"))
	}
	for _, id := range out {
		spec := e.origSpec(id)
		if n == fileReplica(spec) {
			delete(e.rs.replicas, id)
		} else {
			e.rs.replicas[id] = Replica{N: n, Source: sourceRun}
		}
		nd, err := e.resolve(spec)
		if err != nil {
			return nil, invalid(err)
		}
		e.nodes[id] = nd
	}
	return out, nil
}

func (e *Engine) samplerKinds() []string {
	var ks []string
	for k, s := range e.opt.Steps {
		if _, ok := s.(Sampler); ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// recordReplicas writes the replica of the resampled partitions ids into
// the lock file: n where it differs from what the pipeline file says, no
// record where it is the same (so `--resample 0` returns to the original
// samples and leaves no trace).
func (e *Engine) recordReplicas(ids []PartitionID, n int) error {
	if e.opt.LockPath == "" {
		return nil
	}
	err := store.UpdateLockFile(e.opt.LockPath, e.opt.LockCodec, func(lf *store.LockFile) error {
		for _, id := range ids {
			if n == fileReplica(e.origSpec(id)) {
				lf.DeleteReplica(e.g.Name, string(id))
				continue
			}
			lf.SetReplica(e.g.Name, string(id), n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if r, ok := e.rs.replicas[id]; ok {
			r.Source = sourceLock
			e.rs.replicas[id] = r
		}
	}
	return nil
}

// addDownstream adds to in the partitions downstream of from whose every
// need is in the run or already up to date, so that a resample's new
// outputs flow on to tag, analyze and export in the same run. A downstream
// partition that needs something neither planned nor up to date (another
// topic's tag never produced, say) is left out with a warning: producing
// that would start a whole other branch of the pipeline, which resampling
// one partition must not do.
func (e *Engine) addDownstream(in map[PartitionID]bool, from []PartitionID) error {
	down := e.downstream(from)
	sts, err := e.Status(context.Background())
	if err != nil {
		return err
	}
	state := make(map[PartitionID]State, len(sts))
	for _, st := range sts {
		state[st.ID] = st.State
	}
	for _, id := range e.order {
		if !down[id] || in[id] {
			continue
		}
		var blocked []string
		for _, u := range e.g.Needs[id] {
			if !in[u] && state[u] != UpToDate {
				blocked = append(blocked, fmt.Sprintf("%s is %s", u, state[u]))
			}
		}
		if len(blocked) > 0 && !e.rs.leftOut[id] {
			e.rs.leftOut[id] = true
			e.opt.Log.Warn().Str(FieldPartition, string(id)).Str("because", strings.Join(blocked, ", ")).
				Msg("not run after --resample: it needs partitions this run does not produce; run them first")
		}
		if len(blocked) > 0 {
			continue
		}
		in[id] = true
	}
	return nil
}

// downstream returns every partition that needs one of ids, transitively.
func (e *Engine) downstream(ids []PartitionID) map[PartitionID]bool {
	dependents := map[PartitionID][]PartitionID{}
	for id, needs := range e.g.Needs {
		for _, n := range needs {
			dependents[n] = append(dependents[n], id)
		}
	}
	out := map[PartitionID]bool{}
	var add func(PartitionID)
	add = func(id PartitionID) {
		for _, d := range dependents[id] {
			if !out[d] {
				out[d] = true
				add(d)
			}
		}
	}
	for _, id := range ids {
		add(id)
	}
	return out
}

// sortedIDs returns the members of set in order.
func sortedIDs(set map[PartitionID]bool) []PartitionID {
	return slices.Sorted(maps.Keys(set))
}
