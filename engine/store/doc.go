// Package store is sptflow's content-addressed storage: immutable objects,
// sealed partition manifests, durable records (a file per record, Records,
// or an append-only log of them, RecordLog, which the LLM request store
// uses), per-partition leases, the file-digest stat cache, run directories
// and the sptflow.lock file (locked and replaced here, its bytes a
// LockCodec's: engine/lockyaml). It knows nothing of SPT, YAML, LLM
// providers or the engine, and imports no other sptflow package.
//
// Guarantees, for any number of goroutines and processes sharing one store
// directory on a local file system:
//
//   - Every write is a temp file in the destination directory, fsync'd,
//     renamed into place, with the directory fsync'd: readers never see a
//     partial file, and whatever a Put acknowledged survives kill -9 (and,
//     as far as the file system honours fsync, power loss). RecordLog
//     appends instead, and flushes before Put returns; a torn append is a
//     miss.
//   - Reads verify: an object is checked against its digest, a manifest
//     entry against its key and manifest digest, a record against its
//     checksum. A damaged entry is removed and reported as a miss
//     (ErrNotFound, or ok == false for records), never returned.
//   - Leases and lock-file updates use flock, which the kernel releases
//     when the holder dies; a lease held by a killed process is free.
//
// Costs: each Put pays two fsyncs (file and directory), typically a few
// milliseconds on a local disk; puts from several goroutines overlap. A
// RecordLog Put pays one flush, shared with concurrent Puts.
// Reads pay one SHA-256 pass. DigestFile reads a file only when its stat
// signature changed.
//
// Leases and the lock-file lock need flock (Linux, macOS, the BSDs); on
// other platforms they return an error.
package store
