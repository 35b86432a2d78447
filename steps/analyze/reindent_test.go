package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
)

// viaPyjson is the reference path: parse, marshal with pyjson.Tagged, and
// nest the result at depth by indenting every line after the first.
func viaPyjson(t testing.TB, raw []byte, depth int) []byte {
	t.Helper()
	v, err := pyjson.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	b, err := pyjson.Marshal(v, pyjson.Tagged)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\n"+strings.Repeat("  ", depth)))
}

var reindentCases = []struct {
	name  string
	raw   string
	fast  bool // copied without parsing
	depth int
}{
	{"scalars", `[1, -25000000000.0, 0, -0.0, 100000.0, 2.5e+16, true, false, null, "x"]`, true, 0},
	{"numbers Python rewrites", `[-2.5e+10, 1E5, 1.50, -0, 1e999]`, false, 0},
	{"python floats and specials", `{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e-05}`, true, 1},
	{"empty containers", `{"a": {}, "b": [], "c": [{}, []], "d": {"e": []}}`, true, 2},
	{"compact input", `{"a":[1,2,{"b":"c"}],"d":{}}`, true, 2},
	{"deep", `{"a": {"b": {"c": {"d": [[["x"]]]}}}}`, true, 3},
	{"canonical escapes", `["q\"b\\n\nr\rt\tb\bf\f", "\u0000\u001f\u00e9\u2028\ud83d\ude00\ufffd", "/~"]`, true, 2},
	{"DEL as \\u", `["\u007f"]`, true, 2},
	{"DEL raw", "[\"a\x7fb\"]", false, 0},
	{"solidus escape", `["a\/b"]`, false, 2},
	{"uppercase hex", `["\u00E9"]`, false, 2},
	{"ascii as \\u", `["\u0041"]`, false, 2},
	{"short form as \\u", `["\u000a"]`, false, 2},
	{"lone high surrogate", `["\ud800x"]`, false, 2},
	{"lone low surrogate", `["\udc00"]`, false, 2},
	{"raw utf-8", `["é"]`, false, 2},
	{"duplicate key", `{"a": 1, "b": 2, "a": 3}`, false, 2},
	{"escaped key", `{"\u00e9": 1}`, false, 2},
	{"nested duplicate only", `{"a": {"x": 1}, "b": {"x": 2, "x": 3}}`, false, 1},
	{"same key in siblings", `{"a": {"x": 1}, "b": {"x": 2}, "x": [{"x": 3}]}`, true, 1},
}

func TestAppendTaggedMatchesParseMarshal(t *testing.T) {
	for _, c := range reindentCases {
		t.Run(c.name, func(t *testing.T) {
			want := viaPyjson(t, []byte(c.raw), c.depth)
			got, err := appendTagged([]byte("prefix:"), []byte(c.raw), c.depth)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append([]byte("prefix:"), want...)) {
				t.Errorf("got:\n%s\nwant:\nprefix:%s", got, want)
			}
			_, fast := appendReindented(nil, []byte(c.raw), c.depth)
			if fast != c.fast {
				t.Errorf("copied without parsing: got %v, want %v", fast, c.fast)
			}
		})
	}
}

func TestAppendTaggedRejectsBadJSON(t *testing.T) {
	for _, raw := range []string{`{"a": }`, `[1, 2`, `{"a" 1}`, `[01]`, `[1.]`, `["x]`, `[1] 2`, `tru`} {
		if got, err := appendTagged(nil, []byte(raw), 1); err == nil {
			t.Errorf("%s: got %q, want an error", raw, got)
		}
	}
}

func FuzzAppendTagged(f *testing.F) {
	for _, c := range reindentCases {
		f.Add([]byte(c.raw), uint8(c.depth))
	}
	f.Fuzz(func(t *testing.T, raw []byte, depth uint8) {
		d := int(depth % 6)
		got, err := appendTagged(nil, raw, d)
		if _, perr := pyjson.Parse(raw); (perr == nil) != (err == nil) {
			t.Fatalf("appendTagged error %v, pyjson.Parse error %v", err, perr)
		}
		if err == nil && !bytes.Equal(got, viaPyjson(t, raw, d)) {
			t.Fatalf("got:\n%s\nwant:\n%s", got, viaPyjson(t, raw, d))
		}
	})
}

// TestReferenceItemsCopied checks the fast path on the published data:
// every item of every tagged file is copied without parsing and comes out
// as parse+marshal writes it.
func TestReferenceItemsCopied(t *testing.T) {
	dir := refDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if testing.Short() {
		files = files[:min(len(files), 3)]
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := parseFile(data)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range raw.items {
			item := data[it.start:it.end]
			got, fast := appendReindented(nil, item, 2)
			if !fast {
				t.Errorf("%s item %d: not copied as it is", f, i)
				continue
			}
			if want := viaPyjson(t, item, 2); !bytes.Equal(got, want) {
				t.Errorf("%s item %d: re-indented bytes differ from parse+marshal", f, i)
			}
			if !sameWhenTagged(item, 2) || !bytes.Equal(got, item) {
				t.Errorf("%s item %d: not written as its input bytes", f, i)
			}
			n++
		}
	}
	t.Logf("%d items checked", n)
}

// TestItemExamplesAsMarshalled runs the step on one file written as the
// tagger writes (ASCII, copied as it is) and one written as stage 3 writes
// (raw UTF-8, parsed and marshalled), and checks that every raw-item
// example file is exactly pyjson.Marshal(..., Tagged) of its content, with
// each item equal to the input item.
func TestItemExamplesAsMarshalled(t *testing.T) {
	disagree := fModel{name: "m", A: &fVar{out: 10, ivs: []fIv{{key: "split_personality__version_4", P: "PASS", conf: 5}, {key: "honesty_scare__version_4", P: "FAIL", conf: 4}}},
		B: &fVar{out: 10, ivs: []fIv{{key: "split_personality__version_4", P: "PASS", conf: 5}, {key: "honesty_scare__version_4", P: "PASS", conf: 4}}}}
	ascii := batchFile("t", "t_20250101_000000_batch_001", fItem{T: "caf\u00e9 \U0001F600 \"q\"", models: []fModel{disagree}})
	v, _ := pyjson.Parse(ascii)
	ascii, _ = pyjson.Marshal(v, pyjson.Tagged)
	utf8 := batchFile("t", "t_20250101_000000_batch_002", fItem{T: "na\u00efve\u2028", models: []fModel{disagree}})
	files := []upFile{{"s/t/a.json", ascii}, {"s/t/b.json", utf8}}
	res, err := runStep(t, nil, files...)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []any
	for _, f := range files {
		v, _ := pyjson.Parse(f.data)
		inputs = append(inputs, v.(*pyjson.Object).Arr("data")[0])
	}
	for _, c := range itemCategories {
		name := "stage_3_analysis/interesting_examples/" + c.name + ".json"
		got := res.Out.Files[name]
		v, err := pyjson.Parse(got)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := pyjson.Marshal(v, pyjson.Tagged)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not as pyjson writes it:\ngot:\n%s\nwant:\n%s", name, got, want)
		}
		list := v.([]any)
		if len(list) != len(inputs) {
			t.Fatalf("%s: got %d examples, want %d", name, len(list), len(inputs))
		}
		for i, e := range list {
			item, _ := e.(*pyjson.Object).Get("item")
			g, _ := pyjson.Marshal(item, pyjson.Tagged)
			w, _ := pyjson.Marshal(inputs[i], pyjson.Tagged)
			if !bytes.Equal(g, w) {
				t.Errorf("%s example %d: item differs from the input item:\ngot:\n%s\nwant:\n%s", name, i, g, w)
			}
		}
	}
}
