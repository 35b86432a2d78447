package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for tests that talk to a background `sptflow fake`.
func init() {
	scriptCmds["waitvar"] = cmdWaitVar
	scriptCmds["httpget"] = cmdHTTPGet
	scriptCmds["jsonvar"] = cmdJSONVar
}

// cmdWaitVar waits until FILE exists (a background command writes it
// atomically; see waitfile), then sets the variable VAR to its contents,
// trimmed: `waitvar FILE VAR`.
func cmdWaitVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitvar FILE VAR")
	}
	cmdWaitFile(ts, false, args[:1])
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Setenv(args[1], strings.TrimSpace(string(b)))
}

// cmdHTTPGet GETs URL and writes the body to stdout; a status other than
// 200 fails: `httpget URL`.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpget URL")
	}
	resp, err := http.Get(args[0])
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	if resp.StatusCode != http.StatusOK {
		ts.Fatalf("GET %s: %s\n%s", args[0], resp.Status, b)
	}
	_, err = ts.Stdout().Write(b)
	ts.Check(err)
}

// cmdJSONVar sets the variable VAR to the value at PATH of a JSON file (as
// jsonget reads paths; strings as they are, other values as JSON):
// `jsonvar FILE PATH VAR`.
func cmdJSONVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonvar FILE PATH VAR")
	}
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &v))
	got, err := jsonPath(v, args[1])
	if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	s, ok := got.(string)
	if !ok {
		b, _ := json.Marshal(got)
		s = string(b)
	}
	ts.Setenv(args[2], s)
	fmt.Fprintf(ts.Stdout(), "%s=%s\n", args[2], s)
}
