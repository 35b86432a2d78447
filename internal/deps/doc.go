// Package deps holds the test that enforces sptflow's dependency rules
// (README, Architecture): which packages may link which. It has no code of
// its own; see deps_test.go for the rules as a table.
package deps
