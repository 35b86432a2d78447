package engine

import "testing"

func TestKeyMemo(t *testing.T) {
	a := []UpstreamDigest{{ID: "load@a", Digest: Digest{1}}}
	b := []UpstreamDigest{{ID: "load@a", Digest: Digest{2}}}
	desc := KeyDesc{{Name: "kind", Value: "tag"}}
	var m keyMemo
	if _, ok := m.get(a); ok {
		t.Fatal("get before put: got a description")
	}
	m.put(a, desc)
	a[0].Digest = Digest{9} // the memo keeps its own copy of ups
	tests := []struct {
		name string
		ups  []UpstreamDigest
		want bool
	}{
		{"the same upstream digests", []UpstreamDigest{{ID: "load@a", Digest: Digest{1}}}, true},
		{"another upstream output", b, false},
		{"no upstream", nil, false},
	}
	for _, tt := range tests {
		if got, ok := m.get(tt.ups); ok != tt.want || ok && got[0] != desc[0] {
			t.Errorf("%s: got %v, %v; want found %v", tt.name, got, ok, tt.want)
		}
	}
}
