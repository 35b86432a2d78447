package engine

import (
	"strings"
	"testing"
)

func TestDescribeIsCanonical(t *testing.T) {
	a, err := Describe("k", "1", map[string]any{"b": 2, "a": []any{1, "x"}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Describe("k", "1", struct {
		A []any `json:"a"`
		B int   `json:"b"`
	}{[]any{1, "x"}, 2}, nil, nil, nil)
	if a.Key() != b.Key() {
		t.Errorf("same params, different keys:\n%v\n%v", a, b)
	}
	c, _ := Describe("k", "2", map[string]any{"b": 2, "a": []any{1, "x"}}, nil, nil, nil)
	if a.Key() == c.Key() {
		t.Error("step version is not in the key")
	}
	if v, _ := a.Value("with.a"); v != `[1,"x"]` {
		t.Errorf("with.a: got %s, want [1,\"x\"]", v)
	}
}

func TestChangeString(t *testing.T) {
	tests := []struct {
		c    Change
		want string
	}{
		{Change{"with.batch_size", "2", "3"}, "with.batch_size: 2 → 3"},
		{Change{"input:prompts/x.md", "ab", "cd"}, "input file prompts/x.md changed"},
		{Change{"upstream:load@x", "ab", "cd"}, "upstream load@x output changed"},
		{Change{"version", "1", "2"}, "step version: 1 → 2"},
		{Change{"with.model", "", `"opus"`}, "with.model added"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("got:  %s\nwant: %s", got, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	g := &Graph{Path: "p.yaml"}
	for _, p := range []struct {
		id, node string
		fe       []KV
	}{
		{"infer@topic=a,model=m1", "infer", []KV{{"topic", "a"}, {"model", "m1"}}},
		{"infer@topic=a,model=m2", "infer", []KV{{"topic", "a"}, {"model", "m2"}}},
		{"infer@topic=b,model=m1", "infer", []KV{{"topic", "b"}, {"model", "m1"}}},
		{"tag@a", "tag", []KV{{"topic", "a"}}},
		{"analyze", "analyze", nil},
	} {
		g.Partitions = append(g.Partitions, &PartitionSpec{ID: PartitionID(p.id), Node: p.node, Foreach: p.fe})
	}
	tests := []struct {
		sel  Selection
		want string
	}{
		{Selection{Targets: []string{"infer@topic=a"}}, "infer@topic=a,model=m1 infer@topic=a,model=m2"},
		{Selection{Targets: []string{"infer@b"}}, "infer@topic=b,model=m1"},
		{Selection{Targets: []string{"infer@a,m2"}}, "infer@topic=a,model=m2"},
		{Selection{Targets: []string{"tag@a", "analyze"}}, "tag@a analyze"},
		{Selection{Topic: "a"}, "infer@topic=a,model=m1 infer@topic=a,model=m2 tag@a"},
		{Selection{Targets: []string{"infer"}, Topic: "b"}, "infer@topic=b,model=m1"},
		{Selection{Targets: []string{"nope"}}, `error: p.yaml: unknown target "nope" (nodes: infer, tag, analyze)`},
		{Selection{Targets: []string{"tag@zz"}}, `error: p.yaml: unknown target "tag@zz" (partitions of tag: tag@a)`},
		{Selection{Targets: []string{"infer@tpic=a"}}, `error: p.yaml: unknown target "infer@tpic=a" (did you mean "infer@topic=a"?)`},
		{Selection{Targets: []string{"infer@color=a"}}, `error: p.yaml: unknown target "infer@color=a" (infer has no foreach key "color"; its keys: topic, model)`},
		{Selection{Targets: []string{"analyze@a"}}, `error: p.yaml: unknown target "analyze@a" (node analyze has one partition, "analyze")`},
		{Selection{Targets: []string{"tga@a"}}, `error: p.yaml: unknown target "tga@a" (did you mean "tag@a"?)`},
		{Selection{Targets: []string{"infer@topic=b,model=m3"}}, `error: p.yaml: unknown target "infer@topic=b,model=m3" (did you mean "infer@topic=b,model=m1"?)`},
		{Selection{Targets: []string{"infr"}}, `error: p.yaml: unknown target "infr" (did you mean "infer"?)`},
		{Selection{Topic: "zz"}, `error: p.yaml: no selected partition has topic "zz"`},
	}
	for _, tt := range tests {
		ids, err := Select(g, tt.sel)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var ss []string
			for _, id := range ids {
				ss = append(ss, string(id))
			}
			got = strings.Join(ss, " ")
		}
		if got != tt.want {
			t.Errorf("Select(%+v):\ngot:  %s\nwant: %s", tt.sel, got, tt.want)
		}
	}
}
