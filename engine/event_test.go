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
