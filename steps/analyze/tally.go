package analyze

// The analysis reads the files one at a time and keeps, of the records,
// only running aggregates: a tally per group of records that a table,
// chart or ranking reports (per topic, model, intervention type, ...).
// Sums are added in record order, as the original's sums over its record
// list, so floating-point results are the same bits.

// tally aggregates a group of records: counts, verdict rates, confidence
// and, when full, the distributions a topic reports.
type tally struct {
	n            int
	na, nb       int
	aPass, aFail int
	bPass, bFail int
	confSum      float64
	confN        int
	verdicts     counts // by keyOf(P)
	full         bool   // keep the distributions below
	conf         counts // confidence distribution (non-null)
	dd           [2]counts
	ddSum        [2]float64
	ddN          [2]int
	passN        int // records with P == "PASS"
}

func newTally(full bool) *tally {
	return &tally{full: full}
}

// add counts r, whose verdict's key is verdict.
func (t *tally) add(r *record, verdict string) {
	t.n++
	t.verdicts.add(verdict, 1)
	pass, fail := r.pStr == "PASS", r.pStr == "FAIL"
	t.passN += b2i(pass)
	switch r.variant {
	case "A":
		t.na++
		t.aPass, t.aFail = t.aPass+b2i(pass), t.aFail+b2i(fail)
	case "B":
		t.nb++
		t.bPass, t.bFail = t.bPass+b2i(pass), t.bFail+b2i(fail)
	}
	if r.confOK {
		t.confSum += r.confF
		t.confN++
	}
	if !t.full {
		return
	}
	if r.conf != nil {
		t.conf.add(keyOf(r.conf), 1)
	}
	for f := range t.dd {
		v := r.difficulty(difficultyField(f))
		if truthy(v) {
			t.dd[f].add(keyOf(v), 1)
		}
		if s, ok := v.(string); ok {
			if rank, ok := rankOf(s); ok {
				t.ddSum[f] += rank
				t.ddN[f]++
			}
		}
	}
}

// rates are the tally's verdict rates.
func (t *tally) rates() rates {
	return rates{na: t.na, nb: t.nb, aPass: pct(t.aPass, t.na), aFail: pct(t.aFail, t.na),
		bPass: pct(t.bPass, t.nb), bFail: pct(t.bFail, t.nb)}
}

// avgConfidence is the mean of the numeric confidences.
func (t *tally) avgConfidence() any { return mean(t.confSum, t.confN) }

// avgDifficulty averages easy=1, medium=2, hard=3 over the records with one
// of those levels.
func (t *tally) avgDifficulty(f difficultyField) any { return mean(t.ddSum[f], t.ddN[f]) }

// tallies are tallies by a key.
type tallies map[string]*tally

// tallyIndex is tallies created on first use, with the last few keys used
// remembered: a record's model, type or name is mostly one of the last
// few, found by comparing strings instead of hashing.
type tallyIndex struct {
	m      tallies
	keys   [4]string
	recent [4]*tally
	next   int
}

func (x *tallyIndex) get(k string, full bool) *tally {
	for i, t := range x.recent {
		if t != nil && x.keys[i] == k {
			return t
		}
	}
	t := x.m[k]
	if t == nil {
		if x.m == nil {
			x.m = tallies{}
		}
		t = newTally(full)
		x.m[k] = t
	}
	x.keys[x.next], x.recent[x.next] = k, t
	x.next = (x.next + 1) % len(x.recent)
	return t
}

func (x *tallyIndex) has(k string) bool { return x.m[k] != nil }
