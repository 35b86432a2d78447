package analyze

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
)

// naiveWritten is how the analysis chose a per-record category's examples
// when it kept every record: sort all matches by key descending (stable),
// list topics in first-seen order of that list, take `limit` per topic.
func naiveWritten(keys []float64, topics []string, limit int) (order []string, written []int, count map[string]int) {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] > keys[idx[b]] })
	by := map[string][]int{}
	count = map[string]int{}
	for _, i := range idx {
		t := topics[i]
		if _, ok := count[t]; !ok {
			order = append(order, t)
		}
		count[t]++
		if len(by[t]) < limit {
			by[t] = append(by[t], i)
		}
	}
	for _, t := range order {
		written = append(written, by[t]...)
	}
	return order, written, count
}

// TestRecordCatMatchesFullSort: the running top-`limit` per topic writes
// the same examples, in the same order, with the same per-topic counts and
// topic order, as sorting every record.
func TestRecordCatMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := rng.IntN(60)
		limit := rng.IntN(5)
		keys := make([]float64, n)
		topics := make([]string, n)
		c := &recordCat{recordCategory: recordCategory{match: func(*record) bool { return true }}, first: -1, topics: map[string]*topicExamples{}}
		for i := range n {
			keys[i] = float64(rng.IntN(4)) // many ties
			topics[i] = fmt.Sprint("t", rng.IntN(3))
			ex := pyjson.NewObject(1)
			ex.Set("seq", i)
			c.add(&fileResult{topic: topics[i]}, &record{confF: keys[i], confOK: true, ex: ex}, i, limit)
		}
		wantOrder, wantIdx, wantCount := naiveWritten(keys, topics, limit)
		cat := c.category(nil)
		var got []int
		for _, e := range cat.written() {
			v, _ := e.ex.Get("seq")
			got = append(got, v.(int))
		}
		gotCount := map[string]int{}
		for _, tp := range cat.topics {
			gotCount[tp] = cat.by[tp].n
		}
		if n == 0 {
			continue
		}
		if !reflect.DeepEqual(cat.topics, wantOrder) || fmt.Sprint(got) != fmt.Sprint(wantIdx) || !reflect.DeepEqual(gotCount, wantCount) || cat.n != n {
			t.Fatalf("trial %d (limit %d, keys %v, topics %v):\ngot  order %v written %v counts %v\nwant order %v written %v counts %v",
				trial, limit, keys, topics, cat.topics, got, gotCount, wantOrder, wantIdx, wantCount)
		}
	}
}

func TestDupSet(t *testing.T) {
	tests := []struct {
		name  string
		items []struct {
			key  string
			file int
		}
		want []dupGroup
	}{
		{"no repeats", []struct {
			key  string
			file int
		}{{"a", 0}, {"b", 0}, {"c", 1}}, nil},
		{"repeats within and across files, first-seen order", []struct {
			key  string
			file int
		}{{"b", 0}, {"a", 0}, {"a", 0}, {"c", 1}, {"b", 2}, {"a", 2}, {"b", 2}},
			[]dupGroup{{key: "b", n: 3, files: []int{0, 2}}, {key: "a", n: 3, files: []int{0, 2}}}},
		{"empty key", []struct {
			key  string
			file int
		}{{"", 0}, {"", 1}}, []dupGroup{{key: "", n: 2, files: []int{0, 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDupSet()
			for _, it := range tt.items {
				s.add(it.key, it.file)
			}
			var got []dupGroup
			for _, g := range s.groups() {
				got = append(got, *g)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
