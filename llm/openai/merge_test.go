package openai

import (
	"testing"
)

// mergeCases cover the splice path and every input that must fall back to
// decoding; both paths must give the same bytes.
var mergeCases = []struct {
	name   string
	raw    string
	fields map[string]any
}{
	{"empty object", `{}`, map[string]any{"b": 1, "a": "x"}},
	{"go-openai body", `{"model":"gpt-5","messages":[{"role":"user","content":"a \"quoted\", {braced} [x] \\ text"}],"tools":[{"type":"function","function":{"name":"t","parameters":{"z":1,"a":[1,{"b":null}]}}}],"stream":false}`,
		map[string]any{"temperature": 0.0, "max_completion_tokens": 100}},
	{"field replaces member", `{"model":"a","top_p":0.5}`, map[string]any{"top_p": 0.9, "model": "b"}},
	{"html escapes", `{"content":"\u003cb\u003e \u0026"}`, map[string]any{"x": "<i> & </i>"}},
	{"escaped key", `{"a\u00e9":1,"b":2}`, map[string]any{"c": 3}},
	{"whitespace", `{ "b": 1, "a": [1, 2] }`, map[string]any{"c": true}},
	{"scalars", `{"n":-1.5e3,"t":true,"f":false,"z":null,"s":""}`, map[string]any{"extra": map[string]any{"k": []int{1}}}},
	{"unicode", `{"m":"héllo – ✓"}`, map[string]any{"k": "✓"}},
	{"nested strings with brackets", `{"a":"}","b":"]","c":"\\\"","d":{"e":"{"}}`, nil},
}

func TestMergeObjectMatchesDecoding(t *testing.T) {
	for _, tt := range mergeCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeObject([]byte(tt.raw), tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mergeObjectSlow([]byte(tt.raw), tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got:  %s\nwant: %s", got, want)
			}
		})
	}
}

func TestMergeObjectSplices(t *testing.T) {
	for _, raw := range []string{`{}`, `{"a":1}`, `{"a":"}","b":[{"c":"]"}]}`} {
		if _, ok := splitObject([]byte(raw)); !ok {
			t.Errorf("splitObject(%s): fell back, want the splice path", raw)
		}
	}
	for _, raw := range []string{`{"a":1`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{"a":1,"a":2}`, `[1]`, `{"a" :1}`, `{"a":tru}`} {
		if _, ok := splitObject([]byte(raw)); ok {
			t.Errorf("splitObject(%s): spliced, want the fallback", raw)
		}
	}
	if _, err := mergeObject([]byte(`{"a":`), nil); err == nil {
		t.Error("mergeObject of invalid JSON: no error")
	}
}

func FuzzMergeObject(f *testing.F) {
	for _, tt := range mergeCases {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fields := map[string]any{"temperature": 0, "b": "x"}
		got, gerr := mergeObject([]byte(raw), fields)
		want, werr := mergeObjectSlow([]byte(raw), fields)
		if (gerr == nil) != (werr == nil) || string(got) != string(want) {
			t.Errorf("%q:\ngot:  %s (%v)\nwant: %s (%v)", raw, got, gerr, want, werr)
		}
	})
}
