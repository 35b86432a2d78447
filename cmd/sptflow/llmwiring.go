package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

// requestsNamespace is the record namespace of the LLM request store.
const requestsNamespace = "requests"

// baseURLEnvPrefix names the test-only base URL override of a provider:
// SPTFLOW_TEST_BASE_URL_ANTHROPIC, SPTFLOW_TEST_BASE_URL_OPENAI,
// SPTFLOW_TEST_BASE_URL_OPENROUTER, ... It points a provider at a fake
// server; it never changes request keys.
const baseURLEnvPrefix = "SPTFLOW_TEST_BASE_URL_"

// newRuntime builds the LLM runtime of one command invocation: one request
// store (the record log of the store's "requests" namespace, which the
// caller closes; older stores' per-file records stay readable through it),
// the SPT-aware sim responders
// (steps/spt/sptsim), one cost budget (maxCost USD,
// 0 = none), one rate governor per (provider, model), shared by every node.
// API keys come from the environment, which already holds the project's
// .env (loadPipeline reads it); they are never logged.
func newRuntime(records llm.RecordStore, log zerolog.Logger, maxCost float64, batch batchOptions) (*llm.Runtime, error) {
	rt, err := llm.NewRuntime(llm.RuntimeConfig{
		Records:         records,
		Log:             log,
		Getenv:          os.Getenv,
		BaseURLOverride: testBaseURL,
		MaxCostUSD:      maxCost,
		Sim:             sptsim.Responders(),
		Connect:         connect.Connect,
		Batches:         batch.ledger,
		BatchPoll:       batch.poll,
		BatchNoWait:     batch.noWait,
		BatchHook:       batch.hook,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return rt, nil
}

// testBaseURL returns $SPTFLOW_TEST_BASE_URL_<PROVIDER> ("" when unset).
func testBaseURL(provider string) string {
	name := baseURLEnvPrefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(provider))
	return os.Getenv(name)
}

// validateModel checks one `models:` entry with the llm package's strict
// parser. It returns one error per problem (errors.Join of
// *llm.FieldError), which the pipeline loader reports at the field's
// position, prefixed with the entry's name.
func validateModel(name string, raw map[string]any) error {
	_, err := llm.ParseModelSpec(name, raw)
	var se *llm.SpecError
	if errors.As(err, &se) {
		return errors.Join(se.Unwrap()...)
	}
	return err
}
