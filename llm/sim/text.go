package sim

import (
	"math/rand/v2"
	"strings"
)

var (
	subjects = []string{"The assistant", "This response", "The user", "The request", "A careful reviewer",
		"The system prompt", "The answer", "This approach", "The model", "The final draft"}
	verbs = []string{"addresses", "considers", "overlooks", "explains", "questions", "summarises",
		"weighs", "clarifies", "misreads", "supports"}
	objects = []string{"the main concern", "the stated constraints", "a subtle trade-off",
		"the user's actual goal", "the relevant evidence", "an important caveat", "the edge cases",
		"the underlying assumption", "the requested format", "the safety implications"}
	tails = []string{"in some detail", "without hedging", "with appropriate care", "only briefly",
		"in plain language", "before drawing a conclusion", "by citing an example",
		"and proposes a next step", "while staying on topic", "in a balanced way"}
)

// Text returns a varied, multi-sentence plain answer derived from seed.
func Text(seed uint64) string {
	g := &generator{rng: NewRand(seed)}
	return g.paragraph(3, 7)
}

func (g *generator) sentence() string {
	return sentence(g.rng)
}

func sentence(r *rand.Rand) string {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	return pick(subjects) + " " + pick(verbs) + " " + pick(objects) + " " + pick(tails) + "."
}

// paragraph joins between lo and hi sentences.
func (g *generator) paragraph(lo, hi int) string {
	n := lo + g.rng.IntN(hi-lo+1)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.sentence()
	}
	return strings.Join(parts, " ")
}
