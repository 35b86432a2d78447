// Command fakellm runs one of sptflow's fake LLM servers (llm/llmtest) on a
// port for manual runs and benchmarks:
//
//	go run ./cmd/fakellm -provider openai -addr 127.0.0.1:8089 -rpm 600 -latency 100ms
//
// then point a model entry's base_url at http://127.0.0.1:8089/v1. Fault
// rates inject 429s, 5xx/529s, connection resets and truncated outputs at
// random (seeded). GET http://127.0.0.1:8089/stats returns the server's own
// counts (requests received, replies and tokens billed per model) to compare
// with `sptflow log --json`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm/llmtest"
)

type flags struct {
	provider, addr, flavor      string
	opts                        llmtest.Options
	rate429, rate5xx, rateReset float64
	rateTruncate, rateStreamErr float64
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(2)
	}
}

func parse(args []string) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	fs.StringVar(&f.provider, "provider", "openai", "wire format: openai or anthropic")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8089", "listen address")
	fs.StringVar(&f.opts.Flavor, "flavor", "openai", "OpenAI flavor: openai or openrouter")
	fs.StringVar(&f.opts.Model, "model", "", "served model name (default: the requested one)")
	fs.IntVar(&f.opts.RPM, "rpm", 0, "enforced requests per minute (0 = unlimited)")
	fs.IntVar(&f.opts.TPM, "tpm", 0, "enforced tokens per minute (0 = unlimited)")
	fs.DurationVar(&f.opts.BurstWindow, "burst", time.Second, "token-bucket size, in time at the enforced rate")
	fs.DurationVar(&f.opts.Latency, "latency", 0, "delay before response headers (median when -tail > 0)")
	fs.Float64Var(&f.opts.LatencyTail, "tail", 0, "Pareto shape of a heavy-tailed latency (e.g. 1.5; 0 = fixed)")
	fs.DurationVar(&f.opts.StreamChunkDelay, "chunk-delay", 0, "pause between streamed events")
	fs.Uint64Var(&f.opts.Seed, "seed", 1, "random seed for latency and faults")
	fs.Float64Var(&f.rate429, "rate-429", 0, "fraction of requests answered 429 (Retry-After: 1)")
	fs.Float64Var(&f.rate5xx, "rate-5xx", 0, "fraction answered 500/503 (529 for anthropic)")
	fs.Float64Var(&f.rateReset, "rate-reset", 0, "fraction of connections reset")
	fs.Float64Var(&f.rateTruncate, "rate-truncate", 0, "fraction of replies cut by max tokens")
	fs.Float64Var(&f.rateStreamErr, "rate-stream-error", 0, "fraction of streams ended by an error event")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if f.provider != "openai" && f.provider != "anthropic" {
		return nil, fmt.Errorf("-provider %q: want openai or anthropic", f.provider)
	}
	f.opts.APIKey = os.Getenv("FAKELLM_API_KEY")
	f.opts.Script = f.script()
	return f, nil
}

// script draws a fault per request from the configured rates.
func (f *flags) script() func(llmtest.Request) llmtest.Fault {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(f.opts.Seed, 0xfa17))
	serverStatus := []int{500, 503}
	if f.provider == "anthropic" {
		serverStatus = []int{529, 500}
	}
	return func(llmtest.Request) llmtest.Fault {
		mu.Lock()
		u, pick := rng.Float64(), rng.IntN(2)
		mu.Unlock()
		for _, c := range []struct {
			rate  float64
			fault llmtest.Fault
		}{
			{f.rate429, llmtest.RateLimited("1")},
			{f.rate5xx, llmtest.ServerError(serverStatus[pick])},
			{f.rateReset, llmtest.ConnReset()},
			{f.rateTruncate, llmtest.Fault{Truncate: true}},
			{f.rateStreamErr, llmtest.Fault{StreamError: true}},
		} {
			if u < c.rate {
				return c.fault
			}
			u -= c.rate
		}
		return llmtest.Fault{}
	}
}

func run(args []string) error {
	f, err := parse(args)
	if err != nil {
		return err
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).With().Timestamp().Logger()
	var h *llmtest.Fake
	if f.provider == "anthropic" {
		h = llmtest.NewAnthropicHandler(f.opts)
	} else {
		h = llmtest.NewOpenAIHandler(f.opts)
	}
	srv := &http.Server{Addr: f.addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		h.Shutdown()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info().Str("provider", f.provider).Str("base_url", "http://"+f.addr+"/v1").
		Int("rpm", f.opts.RPM).Int("tpm", f.opts.TPM).Dur("latency", f.opts.Latency).Msg("fake LLM server listening")
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", f.addr, err)
	}
	log.Info().Int("requests", h.Count()).Msg("stopped")
	return nil
}
