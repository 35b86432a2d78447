package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	extraKinds = append(extraKinds, srcStep{}, tagStep{})
	testscript.Main(m, map[string]func(){
		"sptflow": func() { os.Exit(Main()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SPTFLOW_HOME", "")
			return nil
		},
	})
}
