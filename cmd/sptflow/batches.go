package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// batchDoc is one provider batch of the write-ahead batch ledger, as
// `status` and `batches list` show it (both in text and JSON).
type batchDoc struct {
	// ID is the provider's batch id; "" for an intent whose batch id was
	// never recorded (the next run finds it by listing, or sends again).
	ID       string `json:"id"`
	Entry    string `json:"entry"` // the ledger entry's name
	Model    string `json:"model"` // model entry name
	Provider string `json:"provider"`
	Requests int    `json:"requests"`
	// Done, Failed and Pending count its requests: succeeded; errored,
	// expired or canceled; still processing. Live says they come from the
	// provider now, else from the last poll (at Polled; "" if never).
	Done    int    `json:"done"`
	Failed  int    `json:"failed"`
	Pending int    `json:"pending"`
	Ended   bool   `json:"ended"`
	Live    bool   `json:"live"`
	Polled  string `json:"polled"`
	Created string `json:"created"`
	// AgeSeconds is the time since creation (since the intent without a
	// batch id); ETA the expected end, extrapolated from its progress (the
	// provider's deadline without progress).
	AgeSeconds int64  `json:"age_seconds"`
	ETA        string `json:"eta"`
	Adopted    bool   `json:"adopted"`
	// Error is why the live status could not be read ("" if it was, or
	// was not asked for).
	Error string `json:"error"`
}

// batchDocOf describes ledger entry e at now, with the provider's live
// status st when not nil.
func batchDocOf(e *llm.BatchEntry, st *llm.BatchStatus, now time.Time) batchDoc {
	d := batchDoc{ID: e.BatchID, Entry: e.Name, Model: e.Model, Provider: e.Provider, Requests: len(e.Keys),
		Pending: len(e.Keys), Adopted: e.Adopted}
	since := e.Intent
	if !e.Created.IsZero() {
		since = e.Created
		d.Created = rfc3339(e.Created)
	}
	d.AgeSeconds = int64(now.Sub(since) / time.Second)
	if !e.Polled.IsZero() {
		d.Polled = rfc3339(e.Polled)
	}
	counts := e.Counts
	if st != nil {
		e.Counts, e.Polled = &st.Counts, now
		counts, d.Live, d.Ended = &st.Counts, true, st.Ended
	}
	if counts != nil {
		d.Done, d.Pending = counts.Succeeded, counts.Processing
		d.Failed = counts.Errored + counts.Expired + counts.Canceled
		d.Ended = d.Ended || (counts.Processing == 0 && counts.Total() > 0)
	}
	if eta := e.ETA(now); !eta.IsZero() && !d.Ended {
		d.ETA = rfc3339(eta)
	}
	return d
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// text renders d on one line.
func (d batchDoc) text() string {
	id := d.ID
	if id == "" {
		id = "(no batch id: the next run recovers it)"
	}
	when := "as last polled " + d.Polled
	switch {
	case d.Live:
		when = "live"
	case d.Polled == "":
		when = "not polled yet"
	}
	s := fmt.Sprintf("%s  %s  %d requests: %d done, %d failed, %d pending (%s)  age %s", id, d.Model,
		d.Requests, d.Done, d.Failed, d.Pending, when, clock(time.Duration(d.AgeSeconds)*time.Second))
	switch {
	case d.Error != "":
		s += "  status: " + d.Error
	case d.Ended:
		s += "  ended: harvest it (sptflow batches harvest, or run)"
	case d.ETA != "":
		s += "  ETA " + d.ETA
	}
	return s
}

// readBatchDocs reads the batch ledger of the store at dir.
func readBatchDocs(dir string, now time.Time) ([]batchDoc, error) {
	entries, err := llm.ReadBatchLedger(store.Batches(dir))
	if err != nil {
		return nil, err
	}
	out := []batchDoc{}
	for _, e := range entries {
		out = append(out, batchDocOf(e, nil, now))
	}
	return out, nil
}

// printBatchesInFlight prints the ledger's batches for `status`.
func printBatchesInFlight(w io.Writer, docs []batchDoc) {
	if len(docs) == 0 {
		return
	}
	fmt.Fprintf(w, "%d batches in flight (sptflow batches list PIPELINE asks the provider):\n", len(docs))
	for _, d := range docs {
		fmt.Fprintf(w, "  %s\n", d.text())
	}
}

// cmdBatches lists, cancels and harvests the provider batches of the
// project's write-ahead batch ledger.
func cmdBatches(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("batches")
	asJSON := fs.Bool("json", false, "list: print the batches as a JSON array")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	sub := "list"
	subs := []string{"list", "cancel", "harvest"}
	if len(pos) > 0 && slices.Contains(subs, pos[0]) {
		sub, pos = pos[0], pos[1:]
	} else if len(pos) > 0 {
		if s := suggestName(pos[0], subs); s != "" && !fileExists(pos[0]) {
			return fmt.Errorf("%w: sptflow batches: unknown subcommand %q; did you mean %q?", errUsage, pos[0], s)
		}
	}
	if sub == "list" && len(pos) == 0 {
		st, _, _, err := e.openStore(nil)
		if err != nil {
			return err
		}
		docs, err := readBatchDocs(st.Dir(), time.Now())
		if err != nil {
			return err
		}
		return printBatchList(e.stdout, docs, *asJSON)
	}
	if err := checkBatchesArgs(sub, pos); err != nil {
		return err
	}
	log, err := e.logger(nil)
	if err != nil {
		return err
	}
	pr, err := e.open(pos[0], engine.RunOptions{}, log.Level(max(log.GetLevel(), zerolog.WarnLevel)))
	if err != nil {
		return err
	}
	defer pr.close()
	b, err := openBatchOps(pr, pos[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "cancel":
		return b.cancel(ctx, e.stdout)
	case "harvest":
		return b.harvest(ctx, e.stdout)
	}
	return printBatchList(e.stdout, b.list(ctx), *asJSON)
}

// batchesSynopsis is each subcommand's synopsis: cancel needs the ids,
// list and harvest take them optionally.
var batchesSynopsis = map[string]string{
	"list":    "sptflow batches list [PIPELINE] [BATCH_ID...]",
	"cancel":  "sptflow batches cancel PIPELINE BATCH_ID...",
	"harvest": "sptflow batches harvest PIPELINE [BATCH_ID...]",
}

// checkBatchesArgs reports a usage error, with sub's synopsis, when the
// pipeline, or for cancel the batch ids, are missing; it runs before
// the pipeline is read.
func checkBatchesArgs(sub string, pos []string) error {
	switch {
	case len(pos) == 0:
		return fmt.Errorf("%w: %s: missing pipeline", errUsage, batchesSynopsis[sub])
	case sub == "cancel" && len(pos) < 2:
		return fmt.Errorf("%w: %s: name the batches to cancel", errUsage, batchesSynopsis[sub])
	}
	return nil
}

// batchOps are the ledger entries a command works on, each with the
// client of the pipeline's model entry that submitted it (nil when the
// pipeline declares no such entry).
type batchOps struct {
	entries []*llm.BatchEntry
	clients map[string]*llm.Client // by entry name
}

// openBatchOps reads the ledger of pr's store; ids, when given, select
// batches by provider id (each must be in the ledger).
func openBatchOps(pr *project, ids []string) (*batchOps, error) {
	all, err := llm.ReadBatchLedger(store.Batches(pr.st.Dir()))
	if err != nil {
		return nil, err
	}
	b := &batchOps{clients: map[string]*llm.Client{}}
	for _, id := range ids {
		i := slices.IndexFunc(all, func(e *llm.BatchEntry) bool { return e.BatchID == id })
		if i < 0 {
			return nil, fmt.Errorf("%w: batch %s is not in the batch ledger of %s (sptflow batches list)", errUsage, id, pr.st.Dir())
		}
		b.entries = append(b.entries, all[i])
	}
	if len(ids) == 0 {
		b.entries = all
	}
	names := make([]string, 0, len(pr.p.Models))
	for name := range pr.p.Models {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, e := range b.entries {
		for _, name := range names {
			if name != e.Model {
				continue
			}
			spec, err := llm.ParseModelSpec(name, pr.p.Models[name].Raw)
			if err != nil {
				return nil, err
			}
			c, err := pr.rt.Client(spec)
			if err != nil {
				return nil, err
			}
			if c.Serves(e) {
				b.clients[e.Name] = c
			}
		}
	}
	return b, nil
}

var errNoClient = errors.New("the pipeline declares no model entry of this batch (same name, provider and model)")

// list asks the provider for the status of each batch.
func (b *batchOps) list(ctx context.Context) []batchDoc {
	out := []batchDoc{}
	now := time.Now()
	for _, e := range b.entries {
		c := b.clients[e.Name]
		var st *llm.BatchStatus
		var err error
		switch {
		case e.BatchID == "":
		case c == nil:
			err = errNoClient
		default:
			st, err = c.BatchStatus(ctx, e.BatchID)
		}
		d := batchDocOf(e, st, now)
		if err != nil {
			d.Error = err.Error()
		}
		out = append(out, d)
	}
	return out
}

func printBatchList(w io.Writer, docs []batchDoc, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(docs)
	}
	if len(docs) == 0 {
		fmt.Fprintln(w, "no batches in flight")
	}
	for _, d := range docs {
		fmt.Fprintln(w, d.text())
	}
	return nil
}

// cancel asks the provider to cancel each selected batch.
func (b *batchOps) cancel(ctx context.Context, w io.Writer) error {
	var errs []error
	canceled := 0
	for _, e := range b.entries {
		c := b.clients[e.Name]
		if c == nil {
			errs = append(errs, fmt.Errorf("cancel batch %s: %w", e.BatchID, errNoClient))
			continue
		}
		st, err := c.CancelBatch(ctx, e)
		if errors.Is(err, llm.ErrBatchNotFound) {
			fmt.Fprintf(w, "not found at the provider, dropped from the ledger: %s %s, %d requests (the next run sends those without a result again)\n",
				e.BatchID, e.Model, len(e.Keys))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cancel batch %s: %w", e.BatchID, err))
			continue
		}
		d := batchDocOf(e, st, time.Now())
		fmt.Fprintf(w, "cancel requested: %s\n", d.text())
		canceled++
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if canceled == 0 {
		return nil
	}
	fmt.Fprintln(w, "requests processed before the cancellation are paid for: `sptflow batches harvest` (or the next run) stores them; the next run sends the canceled ones again")
	return nil
}

// harvest stores the results of each selected batch that has ended.
func (b *batchOps) harvest(ctx context.Context, w io.Writer) error {
	var errs []error
	stored, cost, inFlight := 0, 0.0, 0
	for _, e := range b.entries {
		c := b.clients[e.Name]
		if c == nil {
			errs = append(errs, fmt.Errorf("harvest batch %s: %w", e.BatchID, errNoClient))
			continue
		}
		rep, st, err := c.HarvestBatch(ctx, e)
		switch {
		case errors.Is(err, llm.ErrBatchNotEnded):
			inFlight++
			fmt.Fprintf(w, "still in flight: %s\n", batchDocOf(e, st, time.Now()).text())
			continue
		case errors.Is(err, llm.ErrBatchNotFound):
			fmt.Fprintf(w, "not found at the provider, dropped from the ledger: %s %s, %d requests: %d results stored before, %d without a result (the next run sends them again)\n",
				e.BatchID, e.Model, len(e.Keys), len(e.Keys)-c.Unstored(e), c.Unstored(e))
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		stored += rep.Succeeded
		cost += rep.CostUSD
		fmt.Fprintf(w, "harvested %s (%s): %d results stored, $%.4f at the batch price, %d refused by the provider",
			e.BatchID, e.Model, rep.Succeeded, rep.CostUSD, len(rep.Failures))
		if n := c.Unstored(e) - len(rep.Failures); n > 0 {
			fmt.Fprintf(w, "; %d without a result (expired, canceled, server errors): the next run sends them", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d results stored ($%.4f); %d batches still in flight\n", stored, cost, inFlight)
	return errors.Join(errs...)
}

// batchesLine words the provider batches a run is polling for the
// progress display: "batches 2: 340/1000 done, ETA 3:12" (the latest
// ETA; "ETA ?" when it has passed or is unknown); "" without any.
func batchesLine(bs []llm.BatchProgress, now time.Time) string {
	if len(bs) == 0 {
		return ""
	}
	total, done := 0, 0
	var eta time.Time
	for _, b := range bs {
		total += b.Counts.Total()
		done += b.Counts.Total() - b.Counts.Processing
		if b.ETA.After(eta) {
			eta = b.ETA
		}
	}
	left := "ETA ?"
	if eta.After(now) {
		left = "ETA " + clock(eta.Sub(now))
	}
	return fmt.Sprintf("batches %d: %d/%d done, %s", len(bs), done, total, left)
}

// fileExists reports whether path names something on disk.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
