package lockyaml

import (
	"bytes"
	"fmt"
)

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
