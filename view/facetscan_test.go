package view

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// testFacetsOnePass checks that counting every facet in one pass gives
// what a query per facet gives, for filters, tags and a search.
func testFacetsOnePass(t *testing.T, ix *Index) {
	ctx := context.Background()
	for _, v := range []url.Values{
		{"verdict": {"FAIL"}, "itype": {"split_personality"}},
		{"verdict": {"PASS", "AMBIGUOUS"}, "tag": {"confidence_below_5"}, "q": {"user"}},
		{"q": {"flattery"}},
		{"stage": {"2"}, "variant": {"B"}, "failed": {"0"}},
	} {
		q := ParseQuery(v)
		start := time.Now()
		want, err := ix.facetsEach(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		each := time.Since(start)
		start = time.Now()
		got, err := ix.facetsOnePass(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: a query per facet %v, one pass %v", v, each, time.Since(start))
		if !reflect.DeepEqual(got, want) {
			for f := range want {
				if !reflect.DeepEqual(got[f], want[f]) {
					t.Errorf("%v: facet %s: one pass %v, per facet %v", v, f, got[f], want[f])
				}
			}
		}
	}
}
