package llm

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// MemRecords is a RecordStore in memory: not durable, for tests and
// benchmarks that measure everything but the disk. Safe for concurrent use.
type MemRecords struct {
	mu   sync.Mutex
	data map[[32]byte][]byte
	puts atomic.Int64
}

var _ RecordStore = (*MemRecords)(nil)

// NewMemRecords returns an empty MemRecords.
func NewMemRecords() *MemRecords { return &MemRecords{data: map[[32]byte][]byte{}} }

// Get implements RecordStore.
func (m *MemRecords) Get(key [32]byte) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.data[key]
	return d, ok, nil
}

// Put implements RecordStore; it keeps a copy of data.
func (m *MemRecords) Put(key [32]byte, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = bytes.Clone(data)
	m.puts.Add(1)
	return nil
}

// Puts returns how many records were put.
func (m *MemRecords) Puts() int64 { return m.puts.Load() }

// Values returns every record's data, in no particular order.
func (m *MemRecords) Values() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, 0, len(m.data))
	for _, d := range m.data {
		out = append(out, d)
	}
	return out
}
