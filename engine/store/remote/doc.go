// Package remote is sptflow's shared store on object storage: the
// content-addressed objects, manifest pointers and request records of
// engine/store, put where several machines reach them (S3, GCS, or a
// directory on a shared file system), and leases across machines. It is a
// leaf like engine/store, whose types it uses; it knows nothing of SPT,
// YAML, LLM providers or the engine.
//
// Layout under the store URL:
//
//	objects/<2 hex>/<sha256 hex>    object bytes; the key is their digest
//	manifests/<node key hex>        framed pointer: node key → manifest object digest
//	records/<namespace>/<key hex>   framed record bytes (the request store's)
//	leases/<name>/<generation>      one lease generation (see Lease)
//
// Guarantees, for any number of processes on any number of machines:
//
//   - Every write is create-only: S3 PUT with If-None-Match: *, GCS with a
//     does-not-exist precondition, file:// by hard-linking a complete,
//     fsync'd temp file (link fails if the name exists). Two writers of one
//     key never clobber each other: exactly one create succeeds, the others
//     get ErrExist. Readers see a whole object or none, never a partial one.
//   - Reads verify: an object against its digest, a pointer or record
//     against a checksum over its address and bytes. A poisoned or damaged
//     entry is a miss (ErrDamaged, which wraps ErrNotFound), reported
//     through Options.OnDamage and counted, and deleted, so that the next
//     push of the right bytes repairs it.
//   - Because entries are never replaced, a request record or manifest
//     pointer is the first one pushed for its key; later pushes of the same
//     key are no-ops (created == false).
//
// Costs: one request per object read or write (objects are read and written
// whole, so they should fit in memory); listing pages through the prefix.
// Deleting a damaged entry races with nothing but another reader's delete
// of the same damaged entry, or, in the worst case, with a fresh push of it
// that then has to be pushed again.
package remote
