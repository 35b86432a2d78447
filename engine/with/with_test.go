package with_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/engine/with"
)

var params = []engine.Param{
	{Name: "list", Type: engine.TypeStrings},
	{Name: "defaults", Type: engine.TypeStrings, Default: []string{"d"}},
	{Name: "count", Type: engine.TypeInt, Default: 5, Min: 1},
	{Name: "name", Type: engine.TypeString, Required: true},
	{Name: "colour", Type: engine.TypeString, Default: "red", Enum: []string{"red", "green"}},
	{Name: "flag", Type: engine.TypeBool, Default: true},
	{Name: "batch_size", Type: engine.TypeInt, Default: 2},
	with.Replica,
}

// TestWith: values come back with their declared defaults, and every
// problem is reported once, placed at its key and naming it.
func TestWith(t *testing.T) {
	tests := []struct {
		name string
		with map[string]any
		read func(w *with.With) any
		want any
		errs []string // substrings, one per reported problem
	}{
		{"strings from one string", map[string]any{"list": "a"}, func(w *with.With) any { return w.Strings("list") }, []string{"a"}, nil},
		{"strings from a list", map[string]any{"list": []any{"a", "b"}}, func(w *with.With) any { return w.Strings("list") }, []string{"a", "b"}, nil},
		{"strings absent", map[string]any{}, func(w *with.With) any { return w.Strings("defaults") }, []string{"d"}, nil},
		{"strings from an empty string", map[string]any{"list": ""}, func(w *with.With) any { return w.Strings("list") }, []string(nil), []string{"with.list: want a list of strings"}},
		{"strings listed twice", map[string]any{"list": []any{"a", "a"}}, func(w *with.With) any { return w.Strings("list") }, []string(nil), []string{`"a" listed twice`}},
		{"int default", map[string]any{}, func(w *with.With) any { return w.Int("count") }, 5, nil},
		{"int below min", map[string]any{"count": 0}, func(w *with.With) any { return w.Int("count") }, 5, []string{"with.count: 0: must be at least 1"}},
		{"int of another type", map[string]any{"count": "3"}, func(w *with.With) any { return w.Int("count") }, 5, []string{`with.count: want a whole number, got "3"`}},
		{"int from a whole float", map[string]any{"count": 3.0}, func(w *with.With) any { return w.Int("count") }, 3, nil},
		{"required", map[string]any{}, func(w *with.With) any { return w.Str("name") }, "", []string{`node "k": with.name is required (string; see ` + "`sptflow kinds k`)"}},
		{"enum", map[string]any{"colour": "gren"}, func(w *with.With) any { return w.Str("colour") }, "red", []string{`with.colour: "gren": want one of red, green (did you mean "green"?)`}},
		{"bool", map[string]any{"flag": "yes"}, func(w *with.With) any { return w.Bool("flag") }, true, []string{`with.flag: want true or false, got "yes"`}},
		{"unknown key, near a name", map[string]any{"cuont": 1}, func(w *with.With) any { return w.Int("count") }, 5, []string{`with.cuont: unknown parameter of kind k (did you mean "count"?)`}},
		{"unknown key, a name's first word", map[string]any{"batchs": 1}, func(w *with.With) any { return w.Int("batch_size") }, 2, []string{`(did you mean "batch_size"?)`}},
		{"unknown key, far from every name", map[string]any{"zzzzzzzz": 1}, func(w *with.With) any { return w.Int("count") }, 5, []string{"(known: list, defaults, count, name, colour, flag, batch_size, replica)"}},
		{"several problems at once", map[string]any{"count": -1, "flag": 3, "xx": 1}, func(w *with.With) any { return []any{w.Int("count"), w.Bool("flag")} }, nil,
			[]string{"with.count:", "with.flag:", "with.xx: unknown parameter"}},
		{"replica absent: the original draw", map[string]any{}, func(w *with.With) any { return w.Replica() }, 0, nil},
		{"replica", map[string]any{"replica": 3}, func(w *with.With) any { return w.Replica() }, 3, nil},
		{"replica negative", map[string]any{"replica": -1}, func(w *with.With) any { return w.Replica() }, 0, []string{"with.replica: -1: must be at least 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := with.New(enginetest.Spec("k", t.TempDir(), tt.with), params)
			got := tt.read(w)
			if tt.want != nil && !equal(got, tt.want) {
				t.Errorf("value: got %#v, want %#v", got, tt.want)
			}
			var msgs []string
			if err := w.Err(); err != nil {
				msgs = strings.Split(err.Error(), "\n")
			}
			if len(msgs) != len(tt.errs) {
				t.Fatalf("errors: got %q, want %d matching %q", msgs, len(tt.errs), tt.errs)
			}
			for i, sub := range tt.errs {
				if !strings.Contains(msgs[i], sub) || !strings.HasPrefix(msgs[i], "test.yaml:1:1: ") {
					t.Errorf("error %d: got %q, want it to start with the position and contain %q", i, msgs[i], sub)
				}
			}
		})
	}
}

// TestUndeclared: reading a parameter the kind does not declare is a bug
// that panics in the kind's tests.
func TestUndeclared(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("reading an undeclared parameter: no panic")
		}
	}()
	with.New(enginetest.Spec("k", t.TempDir(), nil), params).Int("nope")
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs) && (as == nil) == (bs == nil)
	}
	return a == b
}
