package llmstep_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

func batchFile(t *testing.T, name string, tasks ...string) llmstep.File {
	t.Helper()
	data := ""
	for i, task := range tasks {
		if i > 0 {
			data += ","
		}
		data += fmt.Sprintf(`{"A": "a", "T": %q}`, task)
	}
	doc, err := pyjson.ParseObject([]byte(`{"batch_id": "x", "data": [` + data + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return llmstep.File{Name: name, Doc: doc}
}

func order(t *testing.T, files []llmstep.File, limit int) []string {
	t.Helper()
	refs, err := llmstep.OrderItems(files, limit)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range refs {
		task, _ := r.Item.Str("T")
		out = append(out, task)
	}
	return out
}

// TestOrderItemsIgnoresTheBatchTime: the same items in files whose batch ids
// carry another time (stage 1 run again, or in another project) come in
// the same order, so stage 3 groups them into the same requests.
func TestOrderItemsIgnoresTheBatchTime(t *testing.T) {
	tasks := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"}
	first := order(t, []llmstep.File{
		batchFile(t, "batch_sycophancy_20250822_140537_batch_001.json", tasks[:4]...),
		batchFile(t, "batch_sycophancy_20250822_140537_batch_002.json", tasks[4:]...)}, 0)
	again := order(t, []llmstep.File{
		batchFile(t, "batch_sycophancy_20261127_093000_batch_001.json", tasks[:4]...),
		batchFile(t, "batch_sycophancy_20261127_093000_batch_002.json", tasks[4:]...)}, 0)
	if !slices.Equal(first, again) {
		t.Errorf("got %v after the time changed, want %v", again, first)
	}
	if slices.Equal(first, tasks) {
		t.Errorf("got file order %v, want the hash order", first)
	}
	// A trial run is a prefix; adding items keeps the old ones' order.
	if got := order(t, []llmstep.File{
		batchFile(t, "batch_sycophancy_20250822_140537_batch_001.json", tasks[:4]...),
		batchFile(t, "batch_sycophancy_20250822_140537_batch_002.json", tasks[4:]...)}, 3); !slices.Equal(got, first[:3]) {
		t.Errorf("limit 3: got %v, want %v", got, first[:3])
	}
	grown := order(t, []llmstep.File{
		batchFile(t, "batch_sycophancy_20250822_140537_batch_001.json", tasks[:4]...),
		batchFile(t, "batch_sycophancy_20250822_140537_batch_002.json", append(slices.Clone(tasks[4:]), "t8")...)}, 0)
	if got := slices.DeleteFunc(grown, func(s string) bool { return s == "t8" }); !slices.Equal(got, first) {
		t.Errorf("after adding an item: got %v, want %v", got, first)
	}
}

// TestReplica: replica 0 keeps every request replica index as it is (the
// original draw's request keys never change); the indexes of different
// draws never meet.
func TestReplica(t *testing.T) {
	for _, base := range []int{0, 1, 9, 999} {
		if got := llmstep.Replica(base, 0); got != base {
			t.Errorf("Replica(%d, 0): got %d, want %d", base, got, base)
		}
	}
	seen := map[int][2]int{}
	for replica := range 4 {
		for base := range 50 {
			idx := llmstep.Replica(base, replica)
			if prev, dup := seen[idx]; dup {
				t.Fatalf("Replica(%d, %d) = Replica(%d, %d) = %d", base, replica, prev[0], prev[1], idx)
			}
			seen[idx] = [2]int{base, replica}
		}
	}
}
