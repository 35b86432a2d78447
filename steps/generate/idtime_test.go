package generate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestBatchIDsShareThePartitionsFirstTime: batch ids carry the earliest
// stored time of the partition, so a partition's files sort by batch number
// whatever order the batches were stored in; generation_timestamp stays
// each batch's own.
func TestBatchIDsShareThePartitionsFirstTime(t *testing.T) {
	t0 := time.Date(2025, 8, 22, 14, 5, 37, 0, time.UTC)
	at := func(d time.Duration) outcome {
		return outcome{batch: &Batch{}, res: &llm.Result{Response: &llm.Response{}, Time: t0.Add(d)}}
	}
	outs := []outcome{at(90 * time.Second), {err: errors.New("failed")}, at(0), at(time.Hour)}
	p := &params{Topic: "sycophancy", spec: &llm.ModelSpec{Model: "claude-opus-4-1"}}
	stamp := idTime(outs)
	var ids []string
	for b, o := range outs {
		if o.err != nil {
			continue
		}
		doc, id := batchFile(p, b, o, stamp)
		ids = append(ids, id)
		got, _ := doc.Str("generation_timestamp")
		if want := spt.ISOFormat(o.res.Time); got != want {
			t.Errorf("batch %d generation_timestamp: got %s, want %s", b+1, got, want)
		}
	}
	want := "sycophancy_20250822_140537_batch_001,sycophancy_20250822_140537_batch_003,sycophancy_20250822_140537_batch_004"
	if got := strings.Join(ids, ","); got != want {
		t.Errorf("ids: got %s, want %s", got, want)
	}
}
