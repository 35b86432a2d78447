package engine

import "context"

// partitionKey is the context key of the partition a step runs for.
type partitionKey struct{}

type partitionLabel struct {
	id   PartitionID
	node string
}

// withPartition returns the context a partition's step runs under.
func withPartition(ctx context.Context, id PartitionID, node string) context.Context {
	return context.WithValue(ctx, partitionKey{}, partitionLabel{id, node})
}

// PartitionOf returns the partition and node whose step runs under ctx
// ("" outside a step), so what a step causes (LLM spending, say) can be
// attributed to it without the step passing it along.
func PartitionOf(ctx context.Context) (id PartitionID, node string) {
	l, _ := ctx.Value(partitionKey{}).(partitionLabel)
	return l.id, l.node
}
