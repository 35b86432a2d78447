package pyjson

import (
	"math"
	"testing"
)

// TestParseDoesNotRetainInput checks that decoded strings and numbers are
// copies: overwriting the input afterwards changes nothing.
func TestParseDoesNotRetainInput(t *testing.T) {
	data := []byte(`{"k": "value", "e": "a\nb", "n": 12.5, "arr": ["x", 7]}`)
	v, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'Z'
	}
	got, _ := Marshal(v, Line)
	if want := `{"k": "value", "e": "a\nb", "n": 12.5, "arr": ["x", 7]}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestSiblingContainersAreIndependent checks that growing or shrinking one
// decoded container never writes into another (they share slabs).
func TestSiblingContainersAreIndependent(t *testing.T) {
	v, err := Parse([]byte(`[{"a": 1, "b": 2}, {"c": 3}, ["x", "y"], ["z"]]`))
	if err != nil {
		t.Fatal(err)
	}
	a := v.([]any)
	first, second := a[0].(*Object), a[1].(*Object)
	first.Set("new", "v")
	first.Delete("a")
	second.Set("d", Int(4))
	arr := append(a[2].([]any), "w")
	_ = arr
	got, _ := Marshal(v, Line)
	if want := `[{"b": 2, "new": "v"}, {"c": 3, "d": 4}, ["x", "y"], ["z"]]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseTypes(t *testing.T) {
	v, err := Parse([]byte(`{"s": "x", "e": "", "n": -1e5, "t": true, "z": null, "dup": 1, "dup": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	tests := []struct {
		key  string
		want any
	}{{"s", "x"}, {"e", ""}, {"n", Number("-100000.0")}, {"t", true}, {"z", nil}, {"dup", Number("2")}}
	for _, tt := range tests {
		if got, _ := o.Get(tt.key); got != tt.want {
			t.Errorf("%s: got %#v (%T), want %#v (%T)", tt.key, got, got, tt.want, tt.want)
		}
	}
	if got := o.Keys(); len(got) != 6 || got[5] != "dup" {
		t.Errorf("keys: got %v", got)
	}
}

// TestManyKeysDuplicateDetection exercises the map used for large objects.
func TestManyKeysDuplicateDetection(t *testing.T) {
	src := []byte(`{`)
	for i := range 40 {
		src = append(src, `"k`...)
		src = append(src, byte('a'+i%26), byte('a'+i/26))
		src = append(src, `": 1, `...)
	}
	src = append(src, `"kaa": 2, "kzz": 3}`...)
	v, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if o.Len() != 41 || o.Keys()[0] != "kaa" || o.Keys()[40] != "kzz" {
		t.Fatalf("got %d keys %v", o.Len(), o.Keys())
	}
	if n, _ := o.Num("kaa"); n != "2" {
		t.Errorf("duplicate key: got %s, want the last value 2", n)
	}
}

func TestNumberConversions(t *testing.T) {
	tests := []struct {
		n     Number
		f     float64
		i     int64
		isInt bool
	}{
		{"0", 0, 0, true}, {"-12", -12, -12, true}, {"2048", 2048, 2048, true},
		{"4.5", 4.5, 0, false}, {"1e3", 1000, 1000, true}, {"-0.0", 0, 0, true},
		{"1234567890123456789", 1234567890123456789, 1234567890123456789, true},
		{"Infinity", math.Inf(1), 0, false}, {"-Infinity", math.Inf(-1), 0, false},
		{"1e300", 1e300, 0, false}, {"-1e19", -1e19, 0, false},
	}
	for _, tt := range tests {
		if got := tt.n.Float64(); got != tt.f {
			t.Errorf("%s.Float64(): got %v, want %v", tt.n, got, tt.f)
		}
		if got, ok := tt.n.Int64(); ok != tt.isInt || got != tt.i {
			t.Errorf("%s.Int64(): got %d, %v; want %d, %v", tt.n, got, ok, tt.i, tt.isInt)
		}
	}
}

func TestNumberIsInt(t *testing.T) {
	for _, tt := range []struct {
		n    Number
		want bool
	}{{"12", true}, {"-0", true}, {"1.0", false}, {"1e3", false}, {"NaN", false}, {"Infinity", false}, {"-Infinity", false}} {
		if got := tt.n.IsInt(); got != tt.want {
			t.Errorf("%s.IsInt(): got %v, want %v", tt.n, got, tt.want)
		}
	}
}

// TestParseSurrogates: pairs join; every lone surrogate escape is kept as
// its three WTF-8 bytes (Python keeps it in the str) and never swallows the
// escape after it.
func TestParseSurrogates(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83dx"`, "\xed\xa0\xbdx"},
		{`"\udc00\udc00"`, "\xed\xb0\x80\xed\xb0\x80"},
		{`"\ud800\ud800\udc00"`, "\xed\xa0\x80𐀀"},
		{`"\udc00\u0041"`, "\xed\xb0\x80A"},
	} {
		got, err := Parse([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("Parse(%s): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestMarshalGoValues: the Go types Marshal accepts besides Parse's.
func TestMarshalGoValues(t *testing.T) {
	o := NewObject(6)
	o.Set("strings", []string{"a", "é"})
	o.Set("no strings", []string(nil))
	o.Set("objects", []*Object{NewObject(0)})
	o.Set("counts", map[string]int{"b": 2, "a": 1, "\n": 0})
	o.Set("no counts", map[string]int(nil))
	o.Set("any", map[string]any{"z": []any{1, "x\x01"}, "y": nil})
	for _, tt := range []struct {
		opt  Options
		want string
	}{
		{LineASCII, `{"strings": ["a", "\u00e9"], "no strings": [], "objects": [{}], "counts": {"\n": 0, "a": 1, "b": 2}, "no counts": {}, "any": {"y": null, "z": [1, "x\u0001"]}}`},
		{DataFile, "{\n  \"strings\": [\n    \"a\",\n    \"é\"\n  ],\n  \"no strings\": [],\n  \"objects\": [\n    {}\n  ],\n  \"counts\": {\n    \"\\n\": 0,\n    \"a\": 1,\n    \"b\": 2\n  },\n  \"no counts\": {},\n  \"any\": {\n    \"y\": null,\n    \"z\": [\n      1,\n      \"x\\u0001\"\n    ]\n  }\n}"},
	} {
		got, err := Marshal(o, tt.opt)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%+v):\ngot  %s (%v)\nwant %s", tt.opt, got, err, tt.want)
		}
	}
}
