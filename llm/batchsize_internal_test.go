package llm

import (
	"fmt"
	"strings"
	"testing"
)

func TestBatchChunks(t *testing.T) {
	big := strings.Repeat("x", 10<<20) // 10 MB of messages each
	for _, tc := range []struct {
		name    string
		n       int
		content string
		want    []int // chunk sizes
	}{
		{"small", 3, "hi", []int{3}},
		{"count limit", MaxBatchRequests + 2, "hi", []int{MaxBatchRequests, 2}},
		{"size limit", 40, big, []int{18, 18, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := &batchRun{items: map[string]*Request{}}
			var ids []string
			for i := range tc.n {
				id := fmt.Sprint(i)
				x.items[id] = &Request{Messages: []Message{{Role: RoleUser, Content: tc.content}}}
				ids = append(ids, id)
			}
			var got []int
			for _, c := range x.chunks(ids) {
				got = append(got, len(c))
				size := 0
				for _, id := range c {
					size += approxBodyBytes(x.items[id])
				}
				if size > batchBytesBudget {
					t.Errorf("chunk of %d requests: %d bytes, over the budget %d", len(c), size, batchBytesBudget)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("chunks %v, want %v", got, tc.want)
			}
		})
	}
}
