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
	verdicts     map[string]int // by keyOf(P)
	full         bool           // keep the distributions below
	conf         map[string]int // confidence distribution (non-null)
	dd           [2]map[string]int
	ddSum        [2]float64
	ddN          [2]int
	passN        int // records with P == "PASS"
}

func newTally(full bool) *tally {
	t := &tally{verdicts: map[string]int{}, full: full}
	if full {
		t.conf = map[string]int{}
		t.dd = [2]map[string]int{{}, {}}
	}
	return t
}

// add counts r, whose verdict's key is verdict.
func (t *tally) add(r *record, verdict string) {
	t.n++
	t.verdicts[verdict]++
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
		t.conf[keyOf(r.conf)]++
	}
	for f := range t.dd {
		v := r.difficulty(difficultyField(f))
		if truthy(v) {
			t.dd[f][keyOf(v)]++
		}
		if s, ok := v.(string); ok {
			if rank, ok := difficultyRank[s]; ok {
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

// tallies are tallies by a key, created on first use.
type tallies map[string]*tally

func (ts tallies) get(k string, full bool) *tally {
	t := ts[k]
	if t == nil {
		t = newTally(full)
		ts[k] = t
	}
	return t
}
