package store

import (
	"bytes"
	"fmt"
)

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

const replicasHeader = "\n# Model samples other than the pipeline file's (`sptflow run --resample N TARGET`).\n"

// encodeReplicas writes the `replicas` section, pipelines and partitions
// sorted by name, one line per partition; nothing when there is none, so
// lock files without resampled partitions keep their bytes.
func encodeReplicas(buf *bytes.Buffer, reps map[string]map[string]int) error {
	header := false
	for _, name := range sortedKeys(reps) {
		if len(reps[name]) == 0 {
			continue
		}
		if !header {
			buf.WriteString(replicasHeader + "replicas:\n")
			header = true
		}
		k, err := yamlKey(name)
		if err != nil {
			return fmt.Errorf("replicas: pipeline %q: %w", name, err)
		}
		fmt.Fprintf(buf, "  %s:\n", k)
		for _, id := range sortedKeys(reps[name]) {
			pk, err := yamlKey(id)
			if err != nil {
				return fmt.Errorf("replicas: pipeline %q: partition %q: %w", name, id, err)
			}
			fmt.Fprintf(buf, "    %s: %d\n", pk, reps[name][id])
		}
	}
	return nil
}
