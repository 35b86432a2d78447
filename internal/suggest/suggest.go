// Package suggest finds the known name closest to a misspelt one, for the
// "did you mean X?" of error messages.
package suggest

import "fmt"

// Closest returns the name of known nearest to s by edit distance
// (insertions, deletions, substitutions and transpositions of adjacent
// characters), when it is near enough to be a plausible misspelling: at
// most 1 edit for names of up to 4 characters, 2 up to 8, 3 beyond. Ties
// go to the earlier name of known. ok is false when no name is that near.
func Closest(s string, known []string) (name string, ok bool) {
	best := -1
	for _, k := range known {
		if k == s {
			continue
		}
		d := distance(s, k)
		if d <= limit(s) && (best < 0 || d < best) {
			name, best = k, d
		}
	}
	return name, best >= 0
}

// DidYouMean returns ` (did you mean "X"?)` for the name of known nearest
// to s, or "" when none is near.
func DidYouMean(s string, known []string) string {
	if k, ok := Closest(s, known); ok {
		return fmt.Sprintf(" (did you mean %q?)", k)
	}
	return ""
}

func limit(s string) int {
	switch n := len([]rune(s)); {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	default:
		return 3
	}
}

// distance is the optimal string alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
