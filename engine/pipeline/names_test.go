package pipeline

import (
	"regexp"
	"testing"
)

// TestNamesAgreeWithRegexps checks the hand-written name checks against
// the regexps they replace.
func TestNamesAgreeWithRegexps(t *testing.T) {
	nameRE := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	identRE := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	cases := []string{"", "a", "A", "_", "0", "9x", "-a", ".a", "a.b", "a-b", "a_b", "ab9", "a b", "a\n", "\na",
		"é", "aé", "a$", "a{", "Z", "z", "@", "[", "`", "/", ":", "a.", "a-", "__", "x\x00", "topic_1", "load@x"}
	for c := byte(0); c < 128; c++ {
		cases = append(cases, string([]byte{c}), "a"+string([]byte{c}), string([]byte{c})+"a")
	}
	for _, s := range cases {
		if got, want := isName(s), nameRE.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, want %v", s, got, want)
		}
		if got, want := isIdent(s), identRE.MatchString(s); got != want {
			t.Errorf("isIdent(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestProtectRefsAgreesWithRegexp checks protectRefs against the regexp
// replacement it replaces.
func TestProtectRefsAgreesWithRegexp(t *testing.T) {
	refRE := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	cases := []string{"", "$", "${", "${}", "${a}", "${a", "$${a}}", "x: ${a} ${b_1}\ny: ${1a} ${a-b} ${_}",
		"${a}${b}", "$ {a}", "${ a}", "${é}", "${aé}", "{a} $a}", "${a}}", "${{a}}", "tail ${abc", "${A9_z}end"}
	for _, s := range cases {
		want := string(refRE.ReplaceAll([]byte(s), []byte("$$"+openRef+"${1}"+closeRef)))
		if got := string(protectRefs([]byte(s))); got != want {
			t.Errorf("protectRefs(%q) = %q, want %q", s, got, want)
		}
	}
}
