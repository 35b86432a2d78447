package engine

import (
	"slices"
	"sync"
)

// keyMemo remembers a node's last key description with the upstream
// digests it was computed from: `run` computes every key twice (for the
// status that plans the run, then in the walk) from the same upstream
// outputs, and everything else a description depends on (kind, step
// version, parameters, inputs) is fixed for the node's life (a node whose
// spec changes, as a resample's, is replaced by a new node).
type keyMemo struct {
	mu   sync.Mutex
	set  bool
	ups  []UpstreamDigest
	desc KeyDesc
}

// get returns the description remembered for ups.
func (m *keyMemo) get(ups []UpstreamDigest) (KeyDesc, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.set || !slices.Equal(m.ups, ups) {
		return nil, false
	}
	return m.desc, true
}

// put remembers desc for ups. Callers must not modify desc afterwards.
func (m *keyMemo) put(ups []UpstreamDigest, desc KeyDesc) {
	m.mu.Lock()
	m.set, m.ups, m.desc = true, slices.Clone(ups), desc
	m.mu.Unlock()
}
