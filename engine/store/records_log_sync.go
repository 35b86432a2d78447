package store

import "os"

// syncer makes a segment's appended data durable, like fdatasync. On Linux
// amd64 and arm64 it is asynchronous (see records_log_aio.go); elsewhere,
// or where the kernel refuses asynchronous flushes, it is a plain
// fdatasync (fsync where the platform has none).
type syncer interface {
	sync(f *os.File) error
	close() error
}

// blockingSyncer is the fallback syncer.
type blockingSyncer struct{}

func (blockingSyncer) sync(f *os.File) error { return fdatasync(f) }
func (blockingSyncer) close() error          { return nil }
