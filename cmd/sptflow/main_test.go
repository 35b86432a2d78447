package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sptflow/sptflow/llm/llmtest"
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
	anthropic := llmtest.NewAnthropic(llmtest.Options{APIKey: "test-key"})
	t.Cleanup(anthropic.Close) // the scripts run in parallel, after TestScripts returns
	// An OpenRouter whose credits are gone: every request gets a 402.
	broke := llmtest.NewOpenAI(llmtest.Options{APIKey: "test-key", Flavor: "openrouter",
		Script: func(llmtest.Request) llmtest.Fault { return llmtest.PaymentRequired() }})
	t.Cleanup(broke.Close)
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SPTFLOW_HOME", "")
			env.Setenv("SPTFLOW_REMOTE", "") // remote.txtar sets its own
			env.Setenv("REPO", repo)
			// SPTFLOW_MATERIALIZE=hardlink go test … runs the scripts with
			// hard-linked outputs (root copies by default).
			env.Setenv("SPTFLOW_MATERIALIZE", os.Getenv("SPTFLOW_MATERIALIZE"))
			// The anthropic provider talks to a fake Messages API server.
			env.Setenv("SPTFLOW_TEST_BASE_URL_ANTHROPIC", anthropic.URL)
			env.Setenv("FAKE_ANTHROPIC_KEY", "test-key")
			env.Setenv("SPTFLOW_TEST_BASE_URL_OPENROUTER", broke.URL)
			return nil
		},
	})
}
