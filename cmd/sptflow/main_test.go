package main

import (
	"os"
	"path/filepath"
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
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SPTFLOW_HOME", "")
			env.Setenv("REPO", repo)
			return nil
		},
	})
}
