package llm

// RecordStore is the durable key-value store the request store keeps its
// records in (engine/store provides the real one). Put must not return
// before the record is durable (fsync'd); concurrent Puts of the same key
// from several processes must leave one complete record.
type RecordStore interface {
	Get(key [32]byte) (data []byte, ok bool, err error)
	Put(key [32]byte, data []byte) error
}
