package compare

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// RecordKey identifies a stage-3 intervention record across two runs: its
// topic, its item (by task text), the stage-2 model that answered, the
// variant (A or B) and the intervention key (<type>__<version>).
type RecordKey struct {
	Topic        string `json:"topic"`
	Item         string `json:"item"`
	Model        string `json:"model"`
	Variant      string `json:"variant"`
	Intervention string `json:"intervention"`
}

func (k RecordKey) String() string {
	return fmt.Sprintf("%s / %s / %s %s / %s", k.Topic, clip(k.Item, 60), k.Model, k.Variant, k.Intervention)
}

// record is what the comparison needs of one intervention record.
type record struct {
	verdict string
}

// facts is what the comparison takes from one batch file: its items'
// records, its tag applications (variants and records) and its batches'
// review fields. Every string is a copy, so the parsed file can be freed.
type facts struct {
	items   []itemFacts
	tags    map[string]int
	batches map[string][2]int // see batchReviews
}

type itemFacts struct {
	topic, id string
	recs      []recFact
}

type recFact struct {
	model, variant, key, verdict string
}

// readFacts parses a batch file and extracts its facts; nil when it is
// JSON but not a batch file (no "data" list).
func readFacts(f File) (*facts, error) {
	b, err := readAll(f)
	if err != nil {
		return nil, err
	}
	doc, err := spt.ReadBatch(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	data, ok := spt.Data(doc)
	if !ok {
		return nil, nil
	}
	topic, _ := doc.Str("topic")
	if topic == "" {
		topic = path.Base(path.Dir(f.Path))
	}
	fs := &facts{tags: map[string]int{}, batches: map[string][2]int{}}
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		it := itemFacts{topic: strings.Clone(topic), id: strings.Clone(itemIdentity(item, f.Path, i))}
		if err := fs.addItem(&it, item, f.Path); err != nil {
			return nil, fmt.Errorf("read %s: item %d: %w", f.Path, i, err)
		}
		fs.items = append(fs.items, it)
	}
	return fs, nil
}

// itemIdentity is the item's task text T, or its id when it has one and no
// task, or its position in its file.
func itemIdentity(item *pyjson.Object, file string, i int) string {
	if t, ok := item.Str("T"); ok && t != "" {
		return t
	}
	for _, k := range []string{"id", "item_id"} {
		if v, ok := item.Get(k); ok {
			return fmt.Sprint(v)
		}
	}
	return fmt.Sprintf("%s[%d]", path.Base(file), i)
}

func (fs *facts) addItem(it *itemFacts, item *pyjson.Object, file string) error {
	models, err := spt.Models(item)
	if err != nil {
		return err
	}
	for _, m := range models {
		for _, vn := range spt.Variants {
			v, err := spt.Variant(m.Obj, vn)
			if err != nil || v == nil {
				continue
			}
			fs.countTags(v)
			recs, _, err := spt.Interventions(v)
			if err != nil {
				return fmt.Errorf("model %s variant %s: %w", m.Name, vn, err)
			}
			for _, r := range recs {
				p, _ := r.Obj.Str("P")
				it.recs = append(it.recs, recFact{model: strings.Clone(m.Name), variant: vn, key: strings.Clone(r.Key), verdict: strings.Clone(p)})
				fs.countTags(r.Obj)
				addBatchReview(file, r, fs.batches)
			}
		}
	}
	return nil
}

// countTags counts the strings of o's "tags" list.
func (fs *facts) countTags(o *pyjson.Object) {
	for _, t := range o.Arr("tags") {
		if s, ok := t.(string); ok {
			if _, known := fs.tags[s]; !known {
				s = strings.Clone(s)
			}
			fs.tags[s]++
		}
	}
}

// records holds one side's records by key, and its tag applications.
type records struct {
	byKey map[RecordKey]record
	order []RecordKey
	tags  map[string]int
	seen  map[string]int // occurrences of topic + item identity
}

func newRecords() *records {
	return &records{byKey: map[RecordKey]record{}, tags: map[string]int{}, seen: map[string]int{}}
}

// add adds one file's records and tags. An item whose task text repeats
// within its topic gets the occurrence number appended, so duplicates
// still match one to one.
func (rs *records) add(fs *facts) {
	for _, it := range fs.items {
		id := it.id
		rs.seen[it.topic+"\x00"+id]++
		if n := rs.seen[it.topic+"\x00"+id]; n > 1 {
			id = fmt.Sprintf("%s #%d", id, n)
		}
		for _, r := range it.recs {
			k := RecordKey{Topic: it.topic, Item: id, Model: r.model, Variant: r.variant, Intervention: r.key}
			if _, dup := rs.byKey[k]; !dup {
				rs.order = append(rs.order, k)
			}
			rs.byKey[k] = record{verdict: r.verdict}
		}
	}
	for t, n := range fs.tags {
		rs.tags[t] += n
	}
}

// Reviews counts the stage-3 quality reviews a side made and accepted.
type Reviews struct {
	Made     int `json:"made"`
	Accepted int `json:"accepted"`
	// Source says where the counts come from: the review logs
	// (stage_3_reviews/*.jsonl) or the records' review fields.
	Source string `json:"source"`
}

// Rate is the share of reviews that accepted their batch (0 when none).
func (r *Reviews) Rate() float64 {
	if r == nil || r.Made == 0 {
		return 0
	}
	return float64(r.Accepted) / float64(r.Made)
}

// readReviewLog adds the lines of one review log: one JSON object per
// review made, "verdict" true when it accepted the batch.
func (r *Reviews) readReviewLog(f File) error {
	b, err := readAll(f)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v struct {
			Verdict *bool `json:"verdict"`
		}
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("read %s:%d: %w", f.Path, n, err)
		}
		if v.Verdict == nil {
			continue
		}
		r.Made++
		if *v.Verdict {
			r.Accepted++
		}
	}
	return sc.Err()
}

// addBatchReview records a batch's review fields, for when no review log
// was written: every record of a batch repeats the batch's
// num_stage_3_reviews_made and stage_3_reviews_passed, so each batch (file,
// intervention key, "batch_<i>_of_<n>") is counted once.
func addBatchReview(file string, r spt.Record, into map[string][2]int) {
	made, ok := r.Obj.Num("num_stage_3_reviews_made")
	if !ok {
		return
	}
	analysis, _ := r.Obj.Str("stage_3_analysis")
	_, batch, _ := strings.Cut(analysis, "_in_")
	n, _ := made.Int64()
	passed, _ := r.Obj.Get("stage_3_reviews_passed")
	acc := 0
	if passed == true {
		acc = 1
	}
	into[file+"\x00"+r.Key+"\x00"+batch] = [2]int{int(n), acc}
}

// readAll reads a whole file of a sealed output.
func readAll(f File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return b, nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
