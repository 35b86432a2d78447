package engine

// Log field names. Every log line about a partition uses these, so logs can
// be filtered the same way across commands and runs.
const (
	FieldPipeline  = "pipeline"
	FieldRun       = "run"
	FieldPartition = "partition"
	FieldNode      = "node"
	FieldKind      = "kind"
	FieldKey       = "key"
	FieldStatus    = "status"
	FieldDuration  = "duration_ms"
	FieldRows      = "rows"
)
