package store

// Replica returns the replica the lock file records for a partition of
// pipeline, and whether it records one.
func (lf *LockFile) Replica(pipeline, partition string) (int, bool) {
	n, ok := lf.Replicas[pipeline][partition]
	return n, ok
}

// SetReplica records that a partition of pipeline holds replica n of its
// model samples.
func (lf *LockFile) SetReplica(pipeline, partition string, n int) {
	if lf.Replicas == nil {
		lf.Replicas = map[string]map[string]int{}
	}
	if lf.Replicas[pipeline] == nil {
		lf.Replicas[pipeline] = map[string]int{}
	}
	lf.Replicas[pipeline][partition] = n
}

// DeleteReplica removes a partition's replica record, and its pipeline's
// section when it was the last one.
func (lf *LockFile) DeleteReplica(pipeline, partition string) {
	delete(lf.Replicas[pipeline], partition)
	if len(lf.Replicas[pipeline]) == 0 {
		delete(lf.Replicas, pipeline)
	}
}
