package llm

// MaxBatchBytes is Anthropic's limit on the size of one batch's request
// body (256 MB; OpenAI's input file may hold 200 MB).
const MaxBatchBytes = 256 << 20

// batchBytesBudget is the estimated size (approxBodyBytes) sptflow fills
// one batch to: a quarter of the limit is left for JSON escaping and the
// provider's framing, which the estimate does not count.
const batchBytesBudget = MaxBatchBytes / 4 * 3

// approxBodyBytes estimates the encoded size of an applied request: its
// texts, tool definitions and schema, plus room for the JSON around them.
func approxBodyBytes(r *Request) int {
	n := 512 + len(r.System) + len(r.JSONSchema)
	for _, m := range r.Messages {
		n += 32 + len(m.Content) + len(m.Content)/16 // newlines and quotes are escaped
	}
	for _, t := range r.Tools {
		n += 64 + len(t.Name) + len(t.Description) + len(t.InputSchema)
	}
	return n + len(r.System)/16
}

// chunks cuts pending into batches of at most MaxBatchRequests requests
// and about batchBytesBudget bytes, in order.
func (x *batchRun) chunks(pending []string) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, id := range pending {
		n := approxBodyBytes(x.items[id])
		if len(cur) > 0 && (len(cur) == MaxBatchRequests || size+n > batchBytesBudget) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, id)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
