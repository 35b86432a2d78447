package sptfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// DummyKeys are the API-key variables the fake experiment
// (pipelines/experiments/fake.yaml) names, with the dummy values Run
// suggests. The fake accepts any key; these are not secrets.
var DummyKeys = []struct{ Env, Value string }{
	{"FAKE_ANTHROPIC_KEY", "dummy-anthropic-key"},
	{"FAKE_OPENAI_KEY", "dummy-openai-key"},
	{"FAKE_OPENROUTER_KEY", "dummy-openrouter-key"},
}

// Run listens on cfg.Addr, writes to out the base URLs and the environment
// to set, writes the root URL (http://host:port) to urlFile when it is not
// "" (once listening, atomically: a reader never sees a partial file),
// serves until ctx is done, and then writes its counts.
func Run(ctx context.Context, cfg Config, urlFile string, out io.Writer) error {
	s, err := NewServer(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen: %w (a fake already running? --addr 127.0.0.1:0 picks a free port)", err)
	}
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	root := "http://" + ln.Addr().String()
	s.writeBanner(out, root)
	if urlFile != "" {
		if err := writeAtomic(urlFile, root+"\n"); err != nil {
			ln.Close()
			return err
		}
	}
	if err := s.Serve(ctx, ln); err != nil {
		return err
	}
	s.writeCounts(out)
	return nil
}

func (s *Server) writeBanner(w io.Writer, root string) {
	kind := "generic"
	if s.cfg.SPT {
		kind = "SPT-aware"
	}
	fmt.Fprintf(w, "fake LLM APIs (%s, simulated replies served as %s<model>) on %s\n", kind, connect.FakeModelPrefix, root)
	fmt.Fprintln(w, "base_url of the model entries:")
	for _, e := range Endpoints(root) {
		fmt.Fprintf(w, "  %-32s %s\n", e.Providers, e.BaseURL)
	}
	fmt.Fprintf(w, "  %-32s GET %s%s\n", "counts", root, "/stats")
	fmt.Fprintf(w, "batch APIs (execution: batch): Anthropic Message Batches under the anthropic base_url, OpenAI files\n"+
		"and batches under the openai and openrouter ones; only succeeded requests are billed, in /stats batch_billed\n")
	fmt.Fprintf(w, "settings: %s\n", s.cfg.describe())
	fmt.Fprintln(w, "environment (dummy keys: the fake accepts any key; never give it a real one):")
	var env []string
	for _, k := range DummyKeys {
		env = append(env, k.Env+"="+k.Value)
	}
	fmt.Fprintf(w, "  export %s\n", strings.Join(env, " "))
	if s.cfg.SPT {
		run := "sptflow run pipelines/experiments/fake.yaml"
		if root != "http://"+DefaultAddr {
			run += " --set fake_url=" + root
		}
		fmt.Fprintf(w, "then, in the project:\n  %s\n", run)
	}
	fmt.Fprintln(w, "Ctrl-C stops the fake and prints its counts.")
}

// describe sums up the latency, limits and faults.
func (c *Config) describe() string {
	var parts []string
	lat := "no latency"
	if c.Latency > 0 || c.Jitter > 0 {
		lat = "latency " + c.Latency.String()
		if c.Tail > 0 {
			lat += fmt.Sprintf(" median, Pareto tail %g", c.Tail)
		}
		if c.Jitter > 0 {
			lat += " + up to " + c.Jitter.String()
		}
	}
	parts = append(parts, lat)
	lim := "no rate limit"
	if c.RPM > 0 || c.TPM > 0 {
		var l []string
		if c.RPM > 0 {
			l = append(l, fmt.Sprintf("%d requests/min", c.RPM))
		}
		if c.TPM > 0 {
			l = append(l, fmt.Sprintf("%d tokens/min", c.TPM))
		}
		lim = strings.Join(l, ", ") + " per model"
	}
	parts = append(parts, lim)
	var faults []string
	for _, f := range []struct {
		name string
		rate float64
	}{{"server errors", c.Faults.ServerError}, {"random 429s", c.Faults.RateLimit}, {"truncated", c.Faults.Truncation},
		{"malformed", c.Faults.Malformed}, {"resets", c.Faults.Reset}, {"stream errors", c.Faults.StreamError}} {
		if f.rate > 0 {
			faults = append(faults, fmt.Sprintf("%g%% %s", 100*f.rate, f.name))
		}
	}
	if c.Faults.QuotaAfter > 0 {
		faults = append(faults, fmt.Sprintf("quota exhausted after %d requests", c.Faults.QuotaAfter))
	}
	if len(faults) == 0 {
		faults = []string{"no faults"}
	}
	parts = append(parts, strings.Join(faults, ", "))
	if c.SPT {
		parts = append(parts, fmt.Sprintf("%g%% of reviews reject", 100*c.ReviewRejection))
	}
	if c.BatchPolls > 0 {
		parts = append(parts, fmt.Sprintf("batches in progress for %d polls", c.BatchPolls))
	}
	return strings.Join(parts, "; ")
}

// writeCounts writes the final counts: requests, 429s, faults, and what
// each model was billed.
func (s *Server) writeCounts(w io.Writer) {
	st := s.Stats()
	fmt.Fprintf(w, "served %d requests in %s: %d rate-limited (--rpm/--tpm)", st.Requests, st.Uptime, st.RateLimited)
	kinds := make([]string, 0, len(st.Faults))
	for k := range st.Faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, ", %d %s", st.Faults[k], strings.ReplaceAll(k, "_", " "))
	}
	fmt.Fprintln(w)
	models := make([]string, 0, len(st.Billed))
	for m := range st.Billed {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, m := range models {
		b := st.Billed[m]
		fmt.Fprintf(w, "  %-32s %d replies, %d tokens in, %d out\n", m, b.Replies, b.InputTokens, b.OutputTokens)
	}
	writeBatchCounts(w, st.Providers)
}

// writeBatchCounts writes, per provider that had batches, how many were
// created and what their succeeded requests billed, by model.
func writeBatchCounts(w io.Writer, providers map[string]llmtest.Stats) {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ps := providers[n]
		if ps.Batches == 0 {
			continue
		}
		fmt.Fprintf(w, "batch API (%s): %d batches created; billed at the batch price:\n", n, ps.Batches)
		models := make([]string, 0, len(ps.BatchBilled))
		for m := range ps.BatchBilled {
			models = append(models, m)
		}
		sort.Strings(models)
		for _, m := range models {
			b := ps.BatchBilled[m]
			fmt.Fprintf(w, "  %-32s %d replies, %d tokens in, %d out\n", m, b.Replies, b.InputTokens, b.OutputTokens)
		}
	}
}

// writeAtomic writes text to path through a temporary file in the same
// directory and a rename.
func writeAtomic(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".url-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.WriteString(text)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, firstErr(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
