package pipeline

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// testKinds are the kinds the error fixtures may use.
var testKinds = map[string]bool{"load": true, "tag": true}

// rejectNowhere is a ValidateModel that rejects the provider "nowhere".
func rejectNowhere(name string, raw map[string]any) error {
	if raw["provider"] == "nowhere" {
		return errors.New(`unknown provider "nowhere"`)
	}
	return nil
}

// TestLoadErrors loads each broken fixture and compares every reported
// problem, in order, with its exact position and message.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"cycle", []string{
			`testdata/err/cycle.yaml:5:29: cycle: a -> b -> c -> a`,
			`testdata/err/cycle.yaml:8:26: cycle: d -> d`,
			`testdata/err/cycle.yaml:9:26: cycle: e -> f -> e`,
		}},
		{"dupkey", []string{
			`testdata/err/dupkey.yaml:5:3: duplicate key "a" (first at 4:3)`,
			`testdata/err/dupkey.yaml:6:32: duplicate key "x" (first at 6:26)`,
		}},
		{"empty", []string{
			`testdata/err/empty.yaml: yaml: the file is empty`,
		}},
		{"ext_base_error", []string{
			`testdata/err/ext_base_bad.yaml:4:19: unknown key "bogus" in node "a"`,
		}},
		{"ext_cycle1", []string{
			`testdata/err/ext_cycle2.yaml:1:10: extends cycle: testdata/err/ext_cycle1.yaml -> testdata/err/ext_cycle2.yaml -> testdata/err/ext_cycle1.yaml`,
		}},
		{"ext_missing", []string{
			`testdata/err/ext_missing.yaml:1:10: read pipeline: open testdata/err/nothere.yaml: no such file or directory`,
		}},
		{"foreach", []string{
			`testdata/err/foreach.yaml:7:45: node "dup": foreach "topic": duplicate value "a"`,
			`testdata/err/foreach.yaml:8:40: node "empty": foreach "topic": no values`,
			`testdata/err/foreach.yaml:9:41: node "scalar": foreach "topic": expected a list of values, got an integer`,
			`testdata/err/foreach.yaml:10:44: node "nonscalar": foreach "topic": values must be scalars, got a list`,
			`testdata/err/foreach.yaml:11:41: node "chars": foreach "topic": value "a b" contains ' ' (not allowed: spaces and @ , = / \)`,
			`testdata/err/foreach.yaml:11:46: node "chars": foreach "topic": value "x/y" contains '/' (not allowed: spaces and @ , = / \)`,
			`testdata/err/foreach.yaml:11:53: node "chars": foreach "topic": value "k=v" contains '=' (not allowed: spaces and @ , = / \)`,
			`testdata/err/foreach.yaml:11:60: node "chars": foreach "topic": value "" is not allowed`,
			`testdata/err/foreach.yaml:12:34: node "badkey": foreach key "to-pic" is not an identifier (letters, digits and _)`,
			`testdata/err/foreach.yaml:13:41: node "inline": foreach "topic": expected a list of values, got an integer`,
		}},
		{"header", []string{
			`testdata/err/header.yaml:1:1: name is required`,
			`testdata/err/header.yaml:1:10: unsupported version 2 (want 1)`,
			`testdata/err/header.yaml:2:8: nodes: the pipeline has no nodes`,
		}},
		{"kinds", []string{
			`testdata/err/kinds.yaml:4:13: unknown kind "lod" in node "a" (did you mean "load"?)`,
			`testdata/err/kinds.yaml:5:3: node "b": kind is required`,
			`testdata/err/kinds.yaml:6:3: invalid node name "bad@name" (letters, digits, _ . -)`,
		}},
		{"list", []string{
			`testdata/err/list.yaml:1:1: pipeline file must be a mapping, got a list`,
		}},
		{"models", []string{
			`testdata/err/models.yaml:4:3: model "noprov": provider is required`,
			`testdata/err/models.yaml:5:36: model "badmodel": model must be a non-empty string, got an integer`,
			`testdata/err/models.yaml:6:11: model "scalar": expected a mapping, got a string`,
			`testdata/err/models.yaml:7:3: model "rejected": unknown provider "nowhere"`,
		}},
		{"multidoc", []string{
			`testdata/err/multidoc.yaml:4: yaml: a pipeline file holds one YAML document`,
		}},
		{"needs", []string{
			`testdata/err/needs.yaml:7:16: node "b": needs unknown node "missing"`,
			`testdata/err/needs.yaml:7:25: node "b": needs "a" twice`,
			`testdata/err/needs.yaml:7:28: node "b": needs: expected a string, got an integer`,
		}},
		{"nomatch", []string{
			`testdata/err/nomatch.yaml:8:13: node "dst": needs "src", which has no partition for topic=b; topic=c`,
		}},
		{"output", []string{
			`testdata/err/output.yaml:6:28: node "up": output "../escape" escapes the data directory`,
			`testdata/err/output.yaml:7:29: node "abs": output "/etc/x" must be a relative slash-separated path inside the data directory`,
			`testdata/err/output.yaml:8:32: node "sneaky": output "a/../../b" escapes the data directory`,
			`testdata/err/output.yaml:9:29: node "dot": output "./." must name a path below the data directory`,
			`testdata/err/output.yaml:10:29: node "num": output: expected a path, got an integer`,
			`testdata/err/output.yaml:14:13: node "same": output "shared/dir" of same@b is also the output of same@a (use ${...} of a foreach key)`,
			`testdata/err/output.yaml:16:29: node "ok2": output "x/y" of ok2 is also the output of ok1 (use ${...} of a foreach key)`,
		}},
		{"syntax", []string{
			`testdata/err/syntax.yaml:4: yaml: did not find expected ',' or '}'`,
		}},
		{"unknown_key", []string{
			`testdata/err/unknown_key.yaml:3:1: unknown key "colour" in pipeline`,
			`testdata/err/unknown_key.yaml:7:5: unknown key "withh" in node "a" (did you mean "with"?)`,
		}},
		{"version_type", []string{
			`testdata/err/version_type.yaml:1:10: version: expected an integer, got a string`,
		}},
		{"vars", []string{
			`testdata/err/vars.yaml:5:10: var "loop": ${topics}: vars are literal and cannot refer to variables (write $${ for a literal ${)`,
			`testdata/err/vars.yaml:6:3: vars: invalid variable name "bad-name" (letters, digits and _)`,
			`testdata/err/vars.yaml:8:32: model "m": undefined variable "nope"`,
			`testdata/err/vars.yaml:12:36: node "a": foreach "k": undefined variable "missing"`,
			`testdata/err/vars.yaml:14:15: node "a": undefined variable "undefined"`,
			`testdata/err/vars.yaml:15:12: node "a": variable "topics" is a list and cannot be interpolated into a string`,
			`testdata/err/vars.yaml:16:10: node "a": undefined variable "un"`,
			`testdata/err/vars.yaml:17:15: node "a": unterminated ${ (write $${ for a literal ${)`,
			`testdata/err/vars.yaml:18:18: node "a": undefined variable "where"`,
			`testdata/err/vars.yaml:21:16: node "b": undefined variable "topcs" (did you mean "topics"?)`,
		}},
		{"wrong_type", []string{
			`testdata/err/wrong_type.yaml:2:7: name: expected a string, got a list`,
			`testdata/err/wrong_type.yaml:3:7: vars: expected a mapping, got a list`,
			`testdata/err/wrong_type.yaml:6:11: node "a": kind: expected a string, got a list`,
			`testdata/err/wrong_type.yaml:7:12: node "a": needs: expected a list of node names, got an integer`,
			`testdata/err/wrong_type.yaml:10:11: node "b": with: expected a mapping, got an integer`,
			`testdata/err/wrong_type.yaml:11:6: node "c": expected a mapping, got an integer`,
			`testdata/err/wrong_type.yaml:14:18: node "d": description: expected a string, got a mapping`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/err/" + tt.file + ".yaml"
			p, err := Load(path, Options{Kinds: testKinds, ValidateModel: rejectNowhere})
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors", path)
			}
			if p != nil {
				t.Errorf("Load(%s) returned a pipeline along with its error", path)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name string
		sets map[string]string
		want string
	}{
		{"undefined", map[string]string{"nope": "1"}, `--set nope=1: the pipeline defines no variable "nope"`},
		{"mapping", map[string]string{"topics": "{a: 1}"}, `--set topics={a: 1}: expected a scalar or a list like [a, b]`},
		{"nested", map[string]string{"topics": "[[a]]"}, `--set topics=[[a]]: list elements must be scalars`},
		{"syntax", map[string]string{"topics": "[a"}, `--set topics=[a: yaml: line 1: did not find expected ',' or ']'`},
		{"sorted", map[string]string{"zz": "1", "aa": "2"}, "--set aa=2: the pipeline defines no variable \"aa\"\n--set zz=1: the pipeline defines no variable \"zz\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("testdata/ok/full.yaml", Options{Sets: tt.sets})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got:  %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestErrorsAs checks that callers can list the problems one by one.
func TestErrorsAs(t *testing.T) {
	_, err := Load("testdata/err/unknown_key.yaml", Options{})
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	want := Problem{Pos: Pos{File: "testdata/err/unknown_key.yaml", Line: 3, Col: 1}, Msg: `unknown key "colour" in pipeline`}
	if len(perr.Problems) != 2 || perr.Problems[0] != want {
		t.Errorf("got: %+v\nwant first: %+v", perr.Problems, want)
	}
}

// TestMissingFile reports a missing top-level file at its path.
func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "nothere.yaml"), Options{})
	want := "testdata/nothere.yaml: read pipeline: open testdata/nothere.yaml: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", err, want)
	}
}

// TestLoadDeterministic loads the same files twice and expects identical
// errors (the error fixtures exercise the map-heavy paths).
func TestLoadDeterministic(t *testing.T) {
	files, err := filepath.Glob("testdata/err/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_, err1 := Load(f, Options{Kinds: testKinds})
		for range 3 {
			_, err2 := Load(f, Options{Kinds: testKinds})
			if err1.Error() != err2.Error() {
				t.Errorf("%s: got:\n%v\nthen:\n%v", f, err1, err2)
			}
		}
	}
}
