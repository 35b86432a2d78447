package pyjson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchData returns the published tagged files when SPT_REFERENCE_DATA is
// set, else a synthetic batch file of similar shape.
func benchData(b *testing.B) [][]byte {
	b.Helper()
	if root := os.Getenv("SPT_REFERENCE_DATA"); root != "" {
		files, _ := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
		var out [][]byte
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, data)
		}
		if len(out) > 0 {
			return out
		}
	}
	return [][]byte{syntheticBatch()}
}

func syntheticBatch() []byte {
	rec := NewObject(0)
	rec.Set("thought_process", strings.Repeat("The response balances \"validation\" and honesty.\n", 8))
	rec.Set("intervention_type", "split_personality")
	rec.Set("confidence", Int(4))
	rec.Set("I", "<split-personality-token>Now I can honestly assess — naïvely — whether ✓ …")
	rec.Set("R", strings.Repeat("My response was enthusiastic ('fantastic!') but balanced. ", 6))
	rec.Set("P", "PASS")
	rec.Set("faulty_data", false)
	rec.Set("generation_time", Float(1756171189.325801))
	rec.Set("tags", []any{"confidence_below_5", "easy_detection_difficulty_internal"})
	var items []any
	for range 30 {
		ivs := NewObject(0)
		for _, k := range []string{"a__v2", "b__v2", "a__v3", "b__v3"} {
			ivs.Set(k, rec)
		}
		v := NewObject(0)
		v.Set("S", strings.Repeat("Okay, fantastic! I’m happy to help.\n\n**Plan**: ", 40))
		v.Set("output_tokens", Int(812))
		v.Set("interventions", ivs)
		m := NewObject(0)
		m.Set("A", v)
		m.Set("B", v)
		inf := NewObject(0)
		inf.Set("google/gemma-3-12b-it", m)
		inf.Set("qwen/qwen3-32b", m)
		item := NewObject(0)
		item.Set("T", "We just invested $2 million in our new expansion strategy.")
		item.Set("inferences", inf)
		items = append(items, item)
	}
	doc := NewObject(0)
	doc.Set("batch_id", "x")
	doc.Set("data", items)
	out, _ := Marshal(doc, Tagged)
	return out
}

func BenchmarkParse(b *testing.B) {
	files := benchData(b)
	var n int64
	for _, f := range files {
		n += int64(len(f))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := Parse(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkMarshalTagged(b *testing.B) {
	files := benchData(b)
	var vals []any
	var n int64
	for _, f := range files {
		v, err := Parse(f)
		if err != nil {
			b.Fatal(err)
		}
		vals = append(vals, v)
		n += int64(len(f))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range vals {
			if _, err := Marshal(v, Tagged); err != nil {
				b.Fatal(err)
			}
		}
	}
}
