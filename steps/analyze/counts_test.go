package analyze

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestCountsMatchesMap: counts keeps first-seen order and the same totals
// as a map, below and above the size where it starts an index.
func TestCountsMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, distinct := range []int{1, 3, countsLinear, countsLinear + 1, 50} {
		var c counts
		want := map[string]int{}
		var order []string
		for range 500 {
			k := fmt.Sprint("k", rng.IntN(distinct))
			d := rng.IntN(3)
			if _, ok := want[k]; !ok {
				order = append(order, k)
			}
			want[k] += d
			c.add(k, d)
		}
		if !reflect.DeepEqual(c.keys, order) {
			t.Errorf("%d keys: order %v, want %v", distinct, c.keys, order)
		}
		if got := c.m(); !reflect.DeepEqual(got, want) {
			t.Errorf("%d keys: got %v, want %v", distinct, got, want)
		}
		for k, n := range want {
			if c.get(k) != n || !c.has(k) {
				t.Errorf("%d keys: get(%s) = %d, has %v; want %d", distinct, k, c.get(k), c.has(k), n)
			}
		}
		if c.has("absent") || c.get("absent") != 0 {
			t.Errorf("%d keys: an absent key is counted", distinct)
		}
	}
}
