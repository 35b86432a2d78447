// Package hugebuf allocates large byte buffers backed by transparent huge
// pages where Linux gives them to memory that asks.
//
// The offline steps read whole files into buffers (a published batch file
// is about 4 MB) and keep whole items for later; every 4 KiB page of such a
// buffer is faulted in on its first write. A minor fault costs ~9 µs on the
// VMs sptflow is benchmarked on, and 4 KiB pages made them near a fifth of
// the analysis step's CPU: a 4 MiB buffer of huge pages takes 2 faults, not
// 1,024. The advice changes only how the pages are backed; where the kernel
// refuses it (THP "never", other systems) a buffer is an ordinary one.
package hugebuf

// PageSize is the size of a transparent huge page on x86-64 (and arm64
// with 4 KiB base pages): buffers of at least this size are aligned to it.
const PageSize = 2 << 20
