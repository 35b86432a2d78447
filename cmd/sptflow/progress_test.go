package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

func TestProgressLines(t *testing.T) {
	rows := engine.Rows{Total: 40, Done: 12, Cached: 3, Failed: 1, Usage: engine.Usage{Requests: 20, Failed: 1, CostUSD: 0.25}}
	long := "intervene@specification_gaming_and_other_long_topic_names"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"partition wide", partitionLine("intervene@sycophancy", rows, "", 100),
			"  intervene@sycophancy [=====>------------] 12/40 rows  3 cached  1 failed  21 req  $0.25"},
		{"partition unknown total", partitionLine("tag@a", engine.Rows{Done: 3}, "", 80), "  tag@a 3/? rows"},
		{"partition 80 long name", partitionLine(long, rows, "waiting: rate limit 12s", 80),
			"  intervene@specificatio~ [==>---] 12/40 rows  3 cached  waiting: rate limit 12s"},
		{"partition narrow keeps counts and state", partitionLine(long, rows, "retrying", 40),
			"  intervene@s~ 12/40 rows  retrying"},
		{"overall", overallLine(overallFigures{done: 5, total: 14, requests: 104, cost: 0.0312, elapsed: 42 * time.Second, partial: 0.6}, 80),
			"[======>-----------] 5/14 partitions  104 requests  $0.0312  0:42  ETA 1:03"},
		{"overall starting", overallLine(overallFigures{total: 14, elapsed: 100 * time.Millisecond}, 80),
			"[>-----------------] 0/14 partitions  0 requests  $0.0000  0:00  ETA ?"},
		{"overall waiting at 80 drops the bar", overallLine(overallFigures{done: 13, total: 14, requests: 3, elapsed: time.Hour + 2*time.Second, state: "waiting: rate limit 9s"}, 80),
			"13/14 partitions  3 requests  $0.0000  1:00:02  ETA 4:37  waiting: rate limit 9s"},
		{"overall with batches", overallLine(overallFigures{done: 1, total: 4, requests: 2, elapsed: 90 * time.Second,
			batches: batchesLine(progressBatches, progressNow)}, 80),
			"1/4 partitions  2 requests  $0.0000  1:30  batches 2: 340/1000 done, ETA 3:12"},
		{"batches none", batchesLine(nil, progressNow), ""},
		{"batches past their ETA", batchesLine(progressBatches[:1], progressNow.Add(time.Hour)), "batches 1: 300/600 done, ETA ?"},
		{"clock", clock(61 * time.Minute), "1:01:00"},
		{"bar empty", meterBar(0, 6), "[>---]"},
		{"bar full", meterBar(1, 6), "[====]"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
		if n := len([]rune(tt.got)); n > 80 && !strings.HasSuffix(tt.name, "wide") {
			t.Errorf("%s: %d columns, want at most 80", tt.name, n)
		}
	}
}

var (
	progressNow     = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	progressBatches = []llm.BatchProgress{
		{Model: "opus", ID: "msgbatch_1", Counts: llm.BatchCounts{Processing: 300, Succeeded: 290, Errored: 10}, ETA: progressNow.Add(time.Minute)},
		{Model: "sonnet", ID: "msgbatch_2", Counts: llm.BatchCounts{Processing: 360, Succeeded: 40}, ETA: progressNow.Add(3*time.Minute + 12*time.Second)},
	}
)

func TestActivityState(t *testing.T) {
	now := time.Now()
	a := llm.Activity{Paused: map[string]time.Time{"anthropic/claude": now.Add(12 * time.Second)},
		Retrying: map[string]time.Time{"openai/gpt": now}}
	tests := []struct {
		providers []string
		want      string
	}{
		{nil, "waiting: rate limit 12s"},
		{[]string{"anthropic"}, "waiting: rate limit 12s"},
		{[]string{"openai"}, "retrying"},
		{[]string{"sim"}, ""},
	}
	for _, tt := range tests {
		if got := activityState(a, tt.providers, now); got != tt.want {
			t.Errorf("providers %v: got %q, want %q", tt.providers, got, tt.want)
		}
	}
}

func TestCwdSets(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "work")
	for _, d := range []string{filepath.Join(sub, "in"), filepath.Join(root, "elsewhere")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	t.Chdir(sub)
	sets := map[string]string{"source": "in", "topic": "sycophancy", "abs": outside, "up": "../elsewhere", "list": "[a, b]"}
	got, changed := cwdSets(sets, root)
	want := map[string]string{"source": "work/in", "topic": "sycophancy", "abs": outside, "up": "elsewhere", "list": "[a, b]"}
	if !changed {
		t.Error("changed: got false, want true")
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	t.Chdir(root)
	if _, changed := cwdSets(map[string]string{"source": "work/in"}, root); changed {
		t.Error("in the project root: got changed, want the values as given")
	}
}
