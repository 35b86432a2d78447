package engine

import (
	"reflect"
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
