package pyjson

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatFloatMatchesPythonRepr(t *testing.T) {
	cases := map[float64]string{
		1:                  "1.0",
		0.1:                "0.1",
		16.20664417743683:  "16.20664417743683",
		1756171189.325801:  "1756171189.325801",
		1e-08:              "1e-08",
		0.0001:             "0.0001",
		0.00001:            "1e-05",
		1e16:               "1e+16",
		123456789012345678: "1.2345678901234568e+17",
		-2.5:               "-2.5",
		1e15:               "1000000000000000.0",
	}
	for in, want := range cases {
		assert.Equal(t, want, FormatFloat(in), "FormatFloat(%v)", in)
	}
}

// TestRoundTripLikeJSONDumps: keys keep their order, and numbers come back
// as Python's json.dumps(json.loads(in)) writes them.
func TestRoundTripLikeJSONDumps(t *testing.T) {
	in := `{"b": 1.50, "a": [1, 2.0, -0, 1e5, true, null], "c": {}, "d": [], "e": "x\"y\\z\n\u00e9\ud83d\ude00<>&/"}`
	v, err := Parse([]byte(in))
	require.NoError(t, err)
	got, err := Marshal(v, LineASCII)
	require.NoError(t, err)
	assert.Equal(t, `{"b": 1.5, "a": [1, 2.0, 0, 100000.0, true, null], "c": {}, "d": [], "e": "x\"y\\z\n\u00e9\ud83d\ude00<>&/"}`, string(got))
	got, err = Marshal(v, Line)
	require.NoError(t, err)
	assert.Equal(t, `{"b": 1.5, "a": [1, 2.0, 0, 100000.0, true, null], "c": {}, "d": [], "e": "x\"y\\z\né😀<>&/"}`, string(got))
}

func TestIndentMatchesPythonDumps(t *testing.T) {
	o := NewObject(3)
	o.Set("a", []any{Int(1), "\x01\b\f\t"})
	o.Set("b", NewObject(0))
	o.Set("c", []any{})
	got, err := Marshal(o, Tagged)
	require.NoError(t, err)
	want := "{\n  \"a\": [\n    1,\n    \"\\u0001\\b\\f\\t\"\n  ],\n  \"b\": {},\n  \"c\": []\n}"
	assert.Equal(t, want, string(got))
}

func TestObjectSetDeleteKeepOrder(t *testing.T) {
	o := &Object{}
	for _, k := range []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13"} {
		o.Set(k, k)
	}
	o.Set("k3", "x")
	o.Delete("k1")
	o.Set("k1", "y")
	assert.Equal(t, []string{"k0", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k1"}, o.Keys())
	v, ok := o.Get("k3")
	assert.True(t, ok)
	assert.Equal(t, "x", v)
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a" 1}`, `[1,]`, `"abc`, `{"a":1} x`, `01`, `"\x"`} {
		_, err := Parse([]byte(in))
		assert.Error(t, err, "Parse(%q)", in)
	}
}

// TestReferenceFilesRoundTrip re-encodes every published tagged file and
// compares bytes: the tagger wrote them with indent 2 and ASCII escaping.
func TestReferenceFilesRoundTrip(t *testing.T) {
	root := refdata.Dir(t, "stage_3_tagged")
	files, err := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		v, err := Parse(data)
		require.NoError(t, err, f)
		out, err := Marshal(v, Tagged)
		require.NoError(t, err)
		if string(out) != string(data) {
			t.Errorf("%s: re-encoded bytes differ", f)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"a": [1, "b", null]}`))
	f.Add([]byte(`"\ud83d\ude00"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			return
		}
		out, err := Marshal(v, LineASCII)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		out2, _ := Marshal(v2, LineASCII)
		if string(out) != string(out2) {
			t.Fatalf("not stable: %q vs %q", out, out2)
		}
	})
}
