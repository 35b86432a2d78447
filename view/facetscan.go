package view

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// facetsOnePass counts every facet of a filtered query in one pass over
// the rows of the stage (that the search selects): a row that passes every
// filter counts for every facet; a row that fails exactly one facet's
// filter counts for that facet alone (its counts ignore its own filter).
// One scan replaces a scan per facet, each walking the rows a filter
// selects.
func (ix *Index) facetsOnePass(ctx context.Context, q Query) (map[string][]Count, error) {
	base := q
	base.Filters = nil
	where, args := base.where("")
	cols := Facets[:len(Facets)-1] // every facet but tag, which is the tags column
	rs, err := ix.db.QueryContext(ctx, "SELECT r."+strings.Join(cols, ", r.")+", r.tags FROM rows r WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("count facets: %w", err)
	}
	defer rs.Close()
	counts := make([]map[string]int, len(Facets))
	for i := range counts {
		counts[i] = map[string]int{}
	}
	want := make([][]string, len(Facets))
	for i, f := range Facets {
		want[i] = q.Filters[f]
	}
	vals := make([]string, len(cols)+1)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	tagIdx := len(Facets) - 1
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		tags := strings.Fields(vals[len(cols)])
		failed := -1
		for i := range Facets {
			if len(want[i]) == 0 {
				continue
			}
			ok := false
			if i == tagIdx {
				ok = true
				for _, t := range want[i] {
					ok = ok && slices.Contains(tags, t)
				}
			} else {
				ok = slices.Contains(want[i], vals[i])
			}
			if !ok {
				if failed >= 0 {
					failed = -2 // fails two filters: counts nowhere
					break
				}
				failed = i
			}
		}
		if failed == -2 {
			continue
		}
		for i := range Facets {
			if failed >= 0 && i != failed {
				continue
			}
			if i == tagIdx {
				for _, t := range tags {
					counts[i][t]++
				}
			} else {
				counts[i][vals[i]]++
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	out := map[string][]Count{}
	for i, f := range Facets {
		var cs []Count
		for v, n := range counts[i] {
			cs = append(cs, Count{Value: v, Count: n})
		}
		slices.SortFunc(cs, func(a, b Count) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		if len(cs) > 1 || len(cs) == 1 && cs[0].Value != "" {
			out[f] = cs
		}
	}
	return out, nil
}
