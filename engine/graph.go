package engine

// Graph is an expanded pipeline: every partition and what it needs. The
// pipeline loader builds it; the engine plans, keys and schedules it.
type Graph struct {
	// Name is the pipeline's name; the lock file and the journal are keyed by it.
	Name string
	// Path is the pipeline file, for messages.
	Path string
	// Partitions in declaration order: nodes as written, then the foreach
	// product in the order of the listed values.
	Partitions []*PartitionSpec
	// Needs maps a partition to the partitions it needs, in the order of
	// the node's needs list, then partition order.
	Needs map[PartitionID][]PartitionID
	// Partial marks a graph built from a pipeline with problems
	// (pipeline.Resolvable), for checking its sound nodes: needs may be
	// missing, so checks of a node's upstream are left to the pipeline's
	// own report.
	Partial bool
}
