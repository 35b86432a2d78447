package view

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// requestsNamespace is the request store's namespace (cmd/sptflow's).
const requestsNamespace = "requests"

// minFingerprintLen is the shortest text of a call's response that is
// fingerprinted: shorter strings (a verdict, a number) would match rows
// they did not produce.
const minFingerprintLen = 24

// indexCalls indexes the request store's records: what each call used and
// cost, which partition paid for it (from the runs' spend ledgers), and a
// fingerprint of every text of its response, so a row's texts find the
// calls that produced them.
func indexCalls(ctx context.Context, storeDir string, tx preparer) error {
	st, err := store.Open(storeDir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", storeDir, err)
	}
	where := ledgerPartitions(storeDir)
	rl := st.RecordLog(requestsNamespace)
	defer rl.Close()
	var keys [][32]byte
	if err := rl.Range(func(k [32]byte, _ time.Time) bool { keys = append(keys, k); return true }); err != nil {
		return fmt.Errorf("list request records: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	fp, err := tx.PrepareContext(ctx, `INSERT INTO call_fp VALUES (?,?)`)
	if err != nil {
		return err
	}
	reqs, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO call_requests VALUES (?,?)`)
	if err != nil {
		return err
	}
	seenReq := map[[32]byte]bool{}
	for _, k := range keys {
		data, ok, err := rl.Get(k)
		if err != nil || !ok {
			continue
		}
		var rec llm.Record
		if json.Unmarshal(data, &rec) != nil || rec.Key == "" {
			continue
		}
		w := where[rec.Key]
		if _, err := ins.ExecContext(ctx, rec.Key, rec.Provider, rec.Model, rec.ServedModel, rec.OK, rec.Usage.InputTokens,
			rec.Usage.OutputTokens, rec.Usage.CacheReadTokens, rec.CostUSD, rec.Attempts, rec.Run, rec.Time.UTC().Format("2006-01-02T15:04:05Z"),
			rec.Simulated, w[0], w[1], string(data)); err != nil {
			return fmt.Errorf("index call %s: %w", rec.Key, err)
		}
		if d, ok := rec.RequestRef(); ok && !seenReq[d] {
			seenReq[d] = true
			if sr, _, ok := llm.LookupRequest(rl, d); ok {
				body, _ := json.Marshal(sr) // with its shared parts put back
				if _, err := reqs.ExecContext(ctx, rec.Request, string(body)); err != nil {
					return fmt.Errorf("index request %s: %w", rec.Request, err)
				}
			}
		}
		seen := map[int64]bool{}
		for _, s := range responseTexts(rec.Response) {
			f := fingerprint(s)
			if seen[f] {
				continue
			}
			seen[f] = true
			if _, err := fp.ExecContext(ctx, f, rec.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// responseTexts lists the texts of a response: its text and every string
// in its tool calls' arguments.
func responseTexts(r *llm.Response) []string {
	if r == nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(strings.TrimSpace(s)) >= minFingerprintLen {
			out = append(out, s)
		}
	}
	add(r.Text)
	for _, tc := range r.ToolCalls {
		var v any
		if json.Unmarshal(tc.Arguments, &v) == nil {
			walkStrings(v, add)
		}
	}
	return out
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

// ledgerPartitions maps request keys to the partition and node that sent
// them, from every run's spend ledger (the latest run wins).
func ledgerPartitions(storeDir string) map[string][2]string {
	out := map[string][2]string{}
	runs, _ := filepath.Glob(filepath.Join(storeDir, "runs", "*", "spend.jsonl"))
	for _, p := range runs {
		lines, _ := llm.ReadLedger(p)
		for _, l := range lines {
			if l.Key != "" && l.Partition != "" && (l.Event == llm.SpendStored || l.Event == llm.SpendReply || l.Event == llm.SpendServed) {
				if _, ok := out[l.Key]; !ok || l.Event != llm.SpendServed {
					out[l.Key] = [2]string{l.Partition, l.Node}
				}
			}
		}
	}
	return out
}

// indexReviews indexes the stage-3 review logs: one line per review made.
// A log or a line that cannot be read is left out; the list says which.
func indexReviews(ctx context.Context, dir string, files []string, tx preparer) ([]string, error) {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return nil, err
	}
	var skipped []string
	for _, rel := range files {
		bad, err := indexReviewLog(ctx, dir, rel, ins)
		if err != nil {
			return nil, err
		}
		skipped = append(skipped, bad...)
	}
	return skipped, nil
}

// indexReviewLog indexes one review log; it returns the lines it left
// out, and an error only when the index cannot be written.
func indexReviewLog(ctx context.Context, dir, rel string, ins *sql.Stmt) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return []string{fmt.Sprintf("read %s: %v", rel, err)}, nil
	}
	defer f.Close()
	var skipped []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var v struct {
			Dataset    string `json:"dataset"`
			Config     string `json:"intervention_config"`
			Batch      int    `json:"batch_number"`
			Round      int    `json:"review_round"`
			Verdict    *bool  `json:"verdict"`
			Model      string `json:"review_model"`
			Evaluation string `json:"written_evaluation"`
			Thought    string `json:"thought_process"`
			Timestamp  string `json:"timestamp"`
		}
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			skipped = append(skipped, fmt.Sprintf("read %s:%d: %v", rel, n, err))
			continue
		}
		if _, err := ins.ExecContext(ctx, v.Dataset, v.Config, v.Batch, v.Round, v.Verdict != nil && *v.Verdict, v.Model, v.Evaluation, v.Thought, rel, unixTime(v.Timestamp)); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		skipped = append(skipped, fmt.Sprintf("read %s: %v", rel, err))
	}
	return skipped, nil
}

// unixTime reads a Python datetime.isoformat() timestamp (naive, in local
// time, as the original pipeline writes them) as Unix seconds; 0 when it
// cannot.
func unixTime(s string) float64 {
	for _, layout := range []string{"2006-01-02T15:04:05.999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return float64(t.UnixNano()) / 1e9
		}
	}
	return 0
}
