package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/sptflow/sptflow/pyjson"
)

// kind is what differs at a JSON path.
type kind int

const (
	valueDiffers kind = iota // a scalar, or values of different types
	lengthDiffers
	onlyInOrig
	onlyInSpt
	keyOrder // the keys both sides have, in a different order
)

// difference is one difference between two JSON documents.
type difference struct {
	path string
	kind kind
	text string // the whole line: path, what differs, the values
}

// jsonDiff parses x and y (the original's and sptflow's file) as JSON and
// returns their differences as paths ($.a.b[3]) with both values. Values of
// the masked keys are not compared; the arrays rs says the original writes
// in set order are sorted on both sides first. ok is false when either side
// is not JSON.
// sorted reports whether any such array was found.
func jsonDiff(file string, x, y []byte, m *mask, rs *ruleSet) (diffs []difference, sorted, ok bool) {
	vx, errx := pyjson.Parse(x)
	vy, erry := pyjson.Parse(y)
	if errx != nil || erry != nil {
		return nil, false, false
	}
	sorted = rs.sortSets(file, vx)
	rs.sortSets(file, vy)
	d := &differ{mask: m}
	d.value("$", vx, vy)
	return d.out, sorted, true
}

// differ walks two JSON values side by side.
type differ struct {
	mask *mask
	out  []difference
}

func (d *differ) add(path string, k kind, format string, args ...any) {
	d.out = append(d.out, difference{path: path, kind: k, text: path + ": " + fmt.Sprintf(format, args...)})
}

func (d *differ) value(path string, x, y any) {
	switch xv := x.(type) {
	case *pyjson.Object:
		if yv, ok := y.(*pyjson.Object); ok {
			d.object(path, xv, yv)
			return
		}
	case []any:
		if yv, ok := y.([]any); ok {
			d.array(path, xv, yv)
			return
		}
	default:
		if x == y {
			return
		}
	}
	d.add(path, valueDiffers, "original %s, sptflow %s", show(x), show(y))
}

func (d *differ) object(path string, x, y *pyjson.Object) {
	for i := range x.Len() {
		k, v := x.At(i)
		w, ok := y.Get(k)
		switch {
		case !ok:
			d.add(member(path, k), onlyInOrig, "only in the original: %s", show(v))
		case !d.mask.has(k):
			d.value(member(path, k), v, w)
		}
	}
	for i := range y.Len() {
		if k, v := y.At(i); !x.Has(k) {
			d.add(member(path, k), onlyInSpt, "only in sptflow: %s", show(v))
		}
	}
	xk, yk := common(x.Keys(), y), common(y.Keys(), x)
	if !slices.Equal(xk, yk) {
		d.add(path, keyOrder, "key order differs: original %s, sptflow %s", clip(fmt.Sprint(xk)), clip(fmt.Sprint(yk)))
	}
}

// common returns the keys of ks that o also has, in ks's order.
func common(ks []string, o *pyjson.Object) []string {
	var out []string
	for _, k := range ks {
		if o.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

func (d *differ) array(path string, x, y []any) {
	if len(x) != len(y) {
		d.add(path, lengthDiffers, "length original %d, sptflow %d", len(x), len(y))
	}
	for i := range min(len(x), len(y)) {
		d.value(path+"["+strconv.Itoa(i)+"]", x[i], y[i])
	}
}

var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func member(path, key string) string {
	if ident.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// show renders a value as compact JSON, clipped.
func show(v any) string {
	b, err := pyjson.Marshal(v, pyjson.Options{})
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return clip(string(b))
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
