package engine

import (
	"reflect"
	"slices"
	"testing"
)

func TestUsageAdd(t *testing.T) {
	u := Usage{Requests: 1, InputTokens: 10, CostUSD: 0.5, ServedModels: []string{"a"}}
	u.Add(Usage{Requests: 2, Cached: 3, Failed: 1, InputTokens: 5, OutputTokens: 7, CacheRead: 4, CacheWrite: 2, CostUSD: 0.25,
		ServedModels: []string{"b", "a", "b"}})
	want := Usage{Requests: 3, Cached: 3, Failed: 1, InputTokens: 15, OutputTokens: 7, CacheRead: 4, CacheWrite: 2, CostUSD: 0.75,
		ServedModels: []string{"a", "b"}}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got:  %+v\nwant: %+v", u, want)
	}
}

func TestUsageMapKeepsAnyUsage(t *testing.T) {
	tests := []struct {
		u    Usage
		want bool
	}{
		{Usage{}, false},
		{Usage{Requests: 1}, true},
		{Usage{OutputTokens: 5}, true},
		{Usage{ServedModels: []string{"m"}}, true},
	}
	for _, tt := range tests {
		m := usageMap(tt.u)
		if got := m != nil; got != tt.want {
			t.Errorf("usageMap(%+v) = %v: got kept %v, want %v", tt.u, m, got, tt.want)
		}
		if tt.want && !reflect.DeepEqual(servedModels(m), tt.u.ServedModels) {
			t.Errorf("usageMap(%+v): served models %v, want %v", tt.u, servedModels(m), tt.u.ServedModels)
		}
	}
}

// TestUsageAddOrderFree: a partition's calls finish in any order, and its
// usage (the lock file's figures) is the same whatever the order.
func TestUsageAddOrderFree(t *testing.T) {
	calls := []Usage{
		{Requests: 1, CostUSD: 0.14186, ServedModels: []string{"m-b"}},
		{Requests: 1, CostUSD: 0.14186, ServedModels: []string{"m-a"}},
		{Requests: 1, CostUSD: 0.14186},
		{Cached: 1, CostUSD: 0.1, ServedModels: []string{"m-c", "m-a"}},
		{Requests: 1, CostUSD: 0.2},
	}
	var want Usage
	for i, perm := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {3, 1, 0, 4, 2}} {
		var u Usage
		for _, j := range perm {
			u.Add(calls[j])
		}
		if i == 0 {
			want = u
			if u.CostUSD != 0.72558 || !slices.Equal(u.ServedModels, []string{"m-a", "m-b", "m-c"}) {
				t.Fatalf("got %v, %v; want 0.72558, [m-a m-b m-c]", u.CostUSD, u.ServedModels)
			}
			continue
		}
		if u.CostUSD != want.CostUSD || !slices.Equal(u.ServedModels, want.ServedModels) {
			t.Errorf("order %v: got %v %v, want %v %v", perm, u.CostUSD, u.ServedModels, want.CostUSD, want.ServedModels)
		}
	}
}
