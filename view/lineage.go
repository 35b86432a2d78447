package view

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// Lineage is one item through every stage: the task, each target model's
// answers, each intervention record with its reviews, and the LLM calls
// behind each text the request store holds.
type Lineage struct {
	Item    ItemView     `json:"item"`
	Answers []AnswerView `json:"answers"`
	Records []RecordView `json:"records"`
}

// ItemView is a stage-1 item and the batch that generated it.
type ItemView struct {
	ID             string          `json:"id"`
	Topic          string          `json:"topic"`
	A              string          `json:"A"`
	B              string          `json:"B"`
	T              string          `json:"T"`
	ThoughtProcess string          `json:"thought_process"`
	Metadata       json.RawMessage `json:"metadata"`
	Batch          BatchView       `json:"batch"`
	Calls          []Call          `json:"calls"`
	// Note says why the item is read from a later stage's file: the
	// data's stage_1/ holds no row of it.
	Note string `json:"note,omitempty"`
}

// BatchView is the header of the batch file an item comes from.
type BatchView struct {
	File      string `json:"file"`
	BatchID   string `json:"batch_id"`
	Model     string `json:"model_used"`
	Generated string `json:"generation_timestamp"`
}

// AnswerView is one target model's answer under one variant.
type AnswerView struct {
	Row     int64    `json:"row"`
	Model   string   `json:"model"`
	Variant string   `json:"variant"`
	S       string   `json:"S"`
	Input   string   `json:"input_tokens"`
	Output  string   `json:"output_tokens"`
	Tags    []string `json:"tags"`
	Calls   []Call   `json:"calls"`
	// Curl reproduces the answer's request (system prompt and task) for
	// the provider that served it, with the key as a shell variable, when
	// the store does not hold the request its call sent (that call's curl
	// is CallDetail's).
	Curl string `json:"curl,omitempty"`
	// Note says why the answer is read from a record's stage-3 file: the
	// data's stage_2/ holds no row of it (Row is then 0).
	Note string `json:"note,omitempty"`
}

// RecordView is one stage-3 intervention record.
type RecordView struct {
	Row                int64           `json:"row"`
	Model              string          `json:"model"`
	Variant            string          `json:"variant"`
	Intervention       string          `json:"intervention"`
	Fields             json.RawMessage `json:"fields"` // every field of the record, in order
	Verdict            string          `json:"P"`
	I                  string          `json:"I"`
	R                  string          `json:"R"`
	Confidence         string          `json:"confidence"`
	DifficultyInternal string          `json:"detection_difficulty_internal"`
	DifficultyExternal string          `json:"detection_difficulty_external"`
	Tags               []string        `json:"tags"`
	Reviews            []Review        `json:"reviews"`
	Calls              []Call          `json:"calls"`
}

// Review is one stage-3 quality review of a record's batch.
type Review struct {
	Round      int    `json:"round"`
	Accepted   bool   `json:"accepted"`
	Model      string `json:"model"`
	Evaluation string `json:"evaluation"`
	Thought    string `json:"thought_process"`
	Calls      []Call `json:"calls"`
}

// Lineage returns the lineage of the item of row id.
func (ix *Index) Lineage(ctx context.Context, id int64) (*Lineage, error) {
	var item string
	if err := ix.db.QueryRowContext(ctx, `SELECT item FROM rows WHERE id = ?`, id).Scan(&item); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("row %d: %w", id, errNotFound)
		}
		return nil, err
	}
	rs, err := ix.db.QueryContext(ctx, "SELECT "+rowCols+rowFrom+" WHERE r.item = ? ORDER BY r.stage, r.id", item)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for rs.Next() {
		r, err := scanRow(rs)
		if err != nil {
			rs.Close()
			return nil, err
		}
		rows = append(rows, r)
	}
	rs.Close()
	dir, err := ix.meta(ctx, "dir")
	if err != nil {
		return nil, err
	}
	files := map[string]*pyjson.Object{}
	load := func(rel string) (*pyjson.Object, error) {
		if f, ok := files[rel]; ok {
			return f, nil
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		f, err := spt.ReadBatch(b)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		files[rel] = f
		return f, nil
	}
	l := &Lineage{Answers: []AnswerView{}, Records: []RecordView{}}
	var recItems []recordOf // the records and their items, for answers stage_2/ lacks
	var first struct {      // the item as its first row's file holds it
		r     Row
		f, it *pyjson.Object
	}
	for _, r := range rows {
		f, err := load(r.File)
		if err != nil {
			return nil, err
		}
		data, _ := spt.Data(f)
		if r.Index >= len(data) {
			return nil, fmt.Errorf("read %s: item %d: the file changed since it was indexed", r.File, r.Index)
		}
		it, err := spt.Item(data, r.Index)
		if err != nil {
			return nil, err
		}
		if first.it == nil {
			first.r, first.f, first.it = r, f, it
		}
		switch r.Stage {
		case 1:
			l.Item = itemView(r, f, it)
			l.Item.Calls = ix.callsFor(ctx, r.Topic, l.Item.T)
		case 2:
			l.Answers = append(l.Answers, ix.answerView(ctx, r, it, r.Tags))
		case 3:
			rv, err := ix.recordView(ctx, r, it)
			if err != nil {
				return nil, err
			}
			l.Records = append(l.Records, rv)
			recItems = append(recItems, recordOf{r, it})
		}
	}
	l.Answers = ix.answersFromRecords(ctx, l.Answers, recItems)
	if l.Item.ID == "" && first.it != nil {
		// A later stage's file whose items stage_1/ lacks (left from
		// another run, say): its copy of A, B, T and metadata stands in.
		l.Item = itemView(first.r, first.f, first.it)
		l.Item.Calls = ix.callsFor(ctx, first.r.Topic, l.Item.T)
		l.Item.Note = "stage_1/ holds no row of this item (its file is missing, or it is left from another run): A, B, T and metadata are read from " + first.r.File
	}
	return l, nil
}

// recordOf is a stage-3 row and its item as the row's file holds it.
type recordOf struct {
	r  Row
	it *pyjson.Object
}

// answerView is the answer of row r (its model and variant) as item it
// holds it, with the calls that produced it and its curl.
func (ix *Index) answerView(ctx context.Context, r Row, it *pyjson.Object, tags []string) AnswerView {
	a := AnswerView{Row: r.ID, Model: r.Model, Variant: r.Variant, Tags: tags}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	if v := variantOf(it, r.Model, r.Variant); v != nil {
		a.S, a.Input, a.Output = str(v, "S"), str(v, "input_tokens"), str(v, "output_tokens")
	}
	a.Calls = ix.callsFor(ctx, r.Topic, a.S)
	if len(a.Calls) > 0 && (a.Calls[0].RequestDigest == "" || a.Calls[0].RequestMissing != "") {
		// No stored request to send again (its call's curl, CallDetail):
		// the request rebuilt from the row.
		a.Curl = Curl(a.Calls[0].Provider, a.Calls[0].Model, str(it, r.Variant), str(it, "T"))
	}
	return a
}

// answersFromRecords adds, for each record whose answer has no stage-2
// row (its stage_2/ file is missing, or the record is left from another
// run), the answer as the record's stage-3 file holds it
// (inferences[model][variant]), with a note saying so; the answers stay
// in the order of their rows, the stand-ins after them in their records'.
func (ix *Index) answersFromRecords(ctx context.Context, answers []AnswerView, recs []recordOf) []AnswerView {
	have := map[[2]string]bool{}
	for _, a := range answers {
		have[[2]string{a.Model, a.Variant}] = true
	}
	for _, rec := range recs {
		r := rec.r
		k := [2]string{r.Model, r.Variant}
		if have[k] {
			continue
		}
		have[k] = true
		var tags []string
		if v := variantOf(rec.it, r.Model, r.Variant); v != nil {
			tags = strs(v, "tags")
		}
		a := ix.answerView(ctx, Row{Topic: r.Topic, Model: r.Model, Variant: r.Variant}, rec.it, tags)
		a.Note = "stage_2/ holds no row of this answer (its file is missing, or it is left from another run): S is read from " + r.File
		answers = append(answers, a)
	}
	return answers
}

func itemView(r Row, f, it *pyjson.Object) ItemView {
	v := ItemView{ID: r.Item, Topic: r.Topic, A: str(it, "A"), B: str(it, "B"), T: str(it, "T"), ThoughtProcess: str(it, "thought_process"),
		Metadata: json.RawMessage("null"),
		Batch:    BatchView{File: r.File, BatchID: str(f, "batch_id"), Model: str(f, "model_used"), Generated: str(f, "generation_timestamp")}}
	if m, ok := it.Get("metadata"); ok {
		if b, err := pyjson.Marshal(m, pyjson.Options{}); err == nil {
			v.Metadata = b
		}
	}
	return v
}

func variantOf(it *pyjson.Object, model, variant string) *pyjson.Object {
	models, _ := spt.Models(it)
	for _, m := range models {
		if m.Name == model {
			v, _ := spt.Variant(m.Obj, variant)
			return v
		}
	}
	return nil
}

func (ix *Index) recordView(ctx context.Context, r Row, it *pyjson.Object) (RecordView, error) {
	rv := RecordView{Row: r.ID, Model: r.Model, Variant: r.Variant, Intervention: r.Intervention, Tags: r.Tags, Fields: json.RawMessage("{}"),
		Reviews: []Review{}}
	v := variantOf(it, r.Model, r.Variant)
	if v == nil {
		return rv, nil
	}
	recs, _, err := spt.Interventions(v)
	if err != nil {
		return rv, err
	}
	for _, rec := range recs {
		if rec.Key != r.Intervention {
			continue
		}
		o := rec.Obj
		rv.Verdict, rv.I, rv.R, rv.Confidence = str(o, "P"), str(o, "I"), str(o, "R"), str(o, "confidence")
		rv.DifficultyInternal, rv.DifficultyExternal = str(o, "detection_difficulty_internal"), str(o, "detection_difficulty_external")
		if b, err := pyjson.Marshal(o, pyjson.Options{}); err == nil {
			rv.Fields = b
		}
		rv.Calls = ix.callsFor(ctx, r.Topic, rv.I, rv.R)
		rv.Reviews = ix.reviewsFor(ctx, r.Topic, rec.Key, str(o, "stage_3_analysis"), str(o, "generation_time"), str(o, "num_stage_3_reviews_made"))
		break
	}
	return rv, nil
}

// reviewsFor returns the reviews of the batch a record was generated in:
// stage_3_analysis names it ("item_1_of_6_in_batch_2_of_15"), numbered
// within its stage-2 file, which the review log does not name. When the
// record has a generation_time, the reviews are the chain of rounds ending
// at the review closest after it; otherwise every review of that number.
func (ix *Index) reviewsFor(ctx context.Context, topic, key, analysis, generated, made string) []Review {
	out := []Review{}
	_, b, ok := strings.Cut(analysis, "_in_batch_")
	if !ok {
		return out
	}
	var batch int
	if _, err := fmt.Sscanf(b, "%d", &batch); err != nil {
		return out
	}
	rs, err := ix.db.QueryContext(ctx, `SELECT round, verdict, model, evaluation, thought, time FROM reviews WHERE topic = ? AND intervention = ? AND batch = ? ORDER BY time, round`, topic, key, batch)
	if err != nil {
		return out
	}
	var times []float64
	for rs.Next() {
		var r Review
		var t float64
		if rs.Scan(&r.Round, &r.Accepted, &r.Model, &r.Evaluation, &r.Thought, &t) == nil {
			out = append(out, r)
			times = append(times, t)
		}
	}
	rs.Close()
	out = reviewChain(out, times, generated, made)
	for i := range out {
		out[i].Calls = ix.callsFor(ctx, topic, out[i].Evaluation, out[i].Thought)
	}
	return out
}

// reviewChain picks, of reviews sorted by time, the one closest to (and
// not long before) the generation time, then the rounds before it and
// after it up to the number the record says were made.
func reviewChain(revs []Review, times []float64, generated, made string) []Review {
	var g float64
	if _, err := fmt.Sscanf(generated, "%g", &g); err != nil || g == 0 || len(revs) < 2 {
		return revs
	}
	n := 0
	fmt.Sscanf(made, "%d", &n)
	best := -1
	for i, t := range times {
		if t == 0 {
			return revs
		}
		if t >= g-1 && (revs[i].Round == n || !revs[i].Accepted) && (best < 0 || t-g < times[best]-g) {
			best = i
		}
	}
	if best < 0 {
		return revs
	}
	chain := []Review{revs[best]}
	// Every round but the last rejected its batch.
	for i := best - 1; i >= 0 && chain[0].Round > 1; i-- {
		if revs[i].Round == chain[0].Round-1 && !revs[i].Accepted {
			chain = append([]Review{revs[i]}, chain...)
		}
	}
	for i := best + 1; i < len(revs) && chain[len(chain)-1].Round < n && !chain[len(chain)-1].Accepted; i++ {
		if revs[i].Round == chain[len(chain)-1].Round+1 {
			chain = append(chain, revs[i])
		}
	}
	return chain
}

func (ix *Index) meta(ctx context.Context, k string) (string, error) {
	var v string
	err := ix.db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = ?`, k).Scan(&v)
	return v, err
}

// Curl is a curl command sending a system prompt and a user message to the
// provider's API, the key read from the environment ($ANTHROPIC_API_KEY,
// ...), never written. The sim provider, which sends nothing, gets the
// Anthropic form.
func Curl(provider, model, system, user string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	switch provider {
	case "openai", "openrouter":
		url, key := "https://api.openai.com/v1/chat/completions", "$OPENAI_API_KEY"
		if provider == "openrouter" {
			url, key = "https://openrouter.ai/api/v1/chat/completions", "$OPENROUTER_API_KEY"
		}
		body, _ := json.Marshal(map[string]any{"model": model, "messages": []map[string]string{{"role": "system", "content": system}, {"role": "user", "content": user}}})
		return fmt.Sprintf("curl %s \\\n  -H 'content-type: application/json' \\\n  -H \"authorization: Bearer %s\" \\\n  -d %s", url, key, q(string(body)))
	default:
		body, _ := json.Marshal(map[string]any{"model": model, "max_tokens": 4096, "system": system, "messages": []map[string]string{{"role": "user", "content": user}}})
		return fmt.Sprintf("curl https://api.anthropic.com/v1/messages \\\n  -H 'content-type: application/json' \\\n  -H 'anthropic-version: 2023-06-01' \\\n  -H \"x-api-key: $ANTHROPIC_API_KEY\" \\\n  -d %s", q(string(body)))
	}
}
