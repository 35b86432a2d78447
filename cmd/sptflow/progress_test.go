package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine"
)

func TestBarText(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"counts unknown total", barCounts(engine.Rows{Done: 3}), "3/? rows  0 cached  0 failed"},
		{"counts", barCounts(engine.Rows{Total: 10, Done: 4, Cached: 2, Failed: 1}), "4/10 rows  2 cached  1 failed"},
		{"no calls", barUsage(engine.Usage{}, time.Minute), ""},
		{"usage", barUsage(engine.Usage{Requests: 30, InputTokens: 12_000, OutputTokens: 345, CostUSD: 1.234}, 30*time.Second),
			"60 req/min  12.3k tok  $1.23"},
		{"cached only", barUsage(engine.Usage{Cached: 5}, 0), "0 req/min  0 tok  $0.00"},
		{"millions", shortCount(4_560_000), "4.56M"},
		{"small", shortCount(950), "950"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
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
