package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the custom commands of the script tests.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"jsonget": cmdJSONGet,
}

// cmdJSONGet parses a JSON file and compares the value at a path with
// want: `jsonget FILE PATH WANT`. PATH is slash-separated; a segment is an
// object key, a list index, or key=value to pick the list element whose
// field key is value. Strings compare as they are, other values as JSON.
// With no WANT it only checks that the path exists.
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: jsonget FILE PATH [WANT]")
	}
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &v))
	got, err := jsonPath(v, args[1])
	if err != nil {
		if !neg {
			ts.Fatalf("%s: %v", args[1], err)
		}
		return
	}
	if len(args) == 2 {
		if neg {
			ts.Fatalf("%s exists", args[1])
		}
		return
	}
	s, ok := got.(string)
	if !ok {
		b, _ := json.Marshal(got)
		s = string(b)
	}
	if (s == args[2]) == neg {
		ts.Fatalf("%s: got %s, want %s%s", args[1], s, map[bool]string{true: "not ", false: ""}[neg], args[2])
	}
}

func jsonPath(v any, path string) (any, error) {
	for _, seg := range strings.Split(path, "/") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, fmt.Errorf("no key %q", seg)
			}
			v = next
		case []any:
			next, err := pick(x, seg)
			if err != nil {
				return nil, err
			}
			v = next
		default:
			return nil, fmt.Errorf("segment %q: not an object or list", seg)
		}
	}
	return v, nil
}

func pick(list []any, seg string) (any, error) {
	if k, want, ok := strings.Cut(seg, "="); ok {
		for _, e := range list {
			if m, isObj := e.(map[string]any); isObj && fmt.Sprint(m[k]) == want {
				return e, nil
			}
		}
		return nil, fmt.Errorf("no element with %s", seg)
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i >= len(list) {
		return nil, fmt.Errorf("index %q out of range (%d elements)", seg, len(list))
	}
	return list[i], nil
}
