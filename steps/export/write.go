package export

import (
	"fmt"
	"path"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
)

// dataFile is one JSONL output: its name and how a sample becomes a line.
type dataFile struct {
	name string
	obj  func(*Sample, *Format) *pyjson.Object
}

// splitFiles lists a split's JSONL outputs: the sample form, the chat form
// and the prompt-completion form when the elicitation type has one.
func splitFiles(sample, chat, completion string, f *Format) []dataFile {
	files := []dataFile{{sample, SampleObject}, {chat, ChatObject}}
	if f.promptCompletion() {
		files = append(files, dataFile{completion, PromptCompletionObject})
	}
	return files
}

// breakdownDims are summary.json's per-split breakdowns, in order.
var breakdownDims = []struct {
	name string
	key  func(*Sample) string
}{
	{"by_topic", func(s *Sample) string { return s.Topic }},
	{"by_model", func(s *Sample) string { return s.Model }},
	{"by_intervention_key", func(s *Sample) string { return s.Key }},
	{"by_intervention_type", func(s *Sample) string { t, _, _ := strings.Cut(s.Key, "__"); return t }},
	{"by_variant", func(s *Sample) string { return s.Variant }},
	{"by_verdict", func(s *Sample) string { return s.Flag }},
}

// splitCounts is what summary.json says of a split's samples.
type splitCounts struct {
	n         int
	by        [6]map[string]int // per breakdownDims
	simulated int               // samples with any simulated part
	simParts  [3]int            // samples with the task, response, intervention simulated
}

func (c *splitCounts) add(s *Sample) {
	c.n++
	for i, d := range breakdownDims {
		if c.by[i] == nil {
			c.by[i] = map[string]int{}
		}
		c.by[i][d.key(s)]++
	}
	if p := s.Simulated; p != 0 {
		c.simulated++
		c.simParts[0] += btoi(p&SimTask != 0)
		c.simParts[1] += btoi(p&SimResponse != 0)
		c.simParts[2] += btoi(p&SimIntervention != 0)
	}
}

// breakdown is the split's entry of summary.json: counts per dimension.
func (c *splitCounts) breakdown() *pyjson.Object {
	o := pyjson.NewObject(len(breakdownDims))
	for i, d := range breakdownDims {
		m := map[string]any{}
		for k, n := range c.by[i] {
			m[k] = n
		}
		o.Set(d.name, m)
	}
	return o
}

// splitWriter streams one split's JSONL files, one line per sample in each.
type splitWriter struct {
	files  []dataFile
	ws     []engine.FileWriter
	opened bool
	counts splitCounts
}

// setWriter streams the training set: the train files from the start, the
// validation files from their first sample (or at the end, empty, when the
// hold-out is on).
type setWriter struct {
	out        engine.Output
	dir        string
	format     *Format
	train, val *splitWriter
	line       []byte
}

func newSetWriter(out engine.Output, dir string, s *Selection) (*setWriter, error) {
	w := &setWriter{out: out, dir: dir, format: &s.Format,
		train: &splitWriter{files: splitFiles(TrainFile, TrainChatFile, TrainPromptCompletionFile, &s.Format)},
		val:   &splitWriter{files: splitFiles(ValidationFile, ValidationChatFile, ValidationPromptCompletionFile, &s.Format)}}
	if err := w.open(w.train); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *setWriter) open(sw *splitWriter) error {
	sw.opened = true
	for _, f := range sw.files {
		fw, err := engine.CreateFile(w.out, path.Join(w.dir, f.name))
		if err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
		sw.ws = append(sw.ws, fw)
	}
	return nil
}

// add writes a sample's line to each of the split's files.
func (w *setWriter) add(sw *splitWriter, s *Sample) error {
	if !sw.opened {
		if err := w.open(sw); err != nil {
			return err
		}
	}
	sw.counts.add(s)
	for i, f := range sw.files {
		var err error
		if w.line, err = pyjson.AppendMarshal(w.line[:0], f.obj(s, w.format), pyjson.Line); err != nil {
			return fmt.Errorf("encode %s: %w", f.name, err)
		}
		w.line = append(w.line, '\n')
		if _, err := sw.ws[i].Write(w.line); err != nil {
			return err
		}
	}
	return nil
}

// close seals every file written, opening the validation files first when
// they are wanted although empty.
func (w *setWriter) close(wantValidation bool) error {
	if wantValidation && !w.val.opened {
		if err := w.open(w.val); err != nil {
			return err
		}
	}
	for _, sw := range []*splitWriter{w.train, w.val} {
		for i, fw := range sw.ws {
			if err := fw.Close(); err != nil {
				return fmt.Errorf("write %s: %w", sw.files[i].name, err)
			}
		}
	}
	return nil
}

// abort drops the files not closed (nothing after close).
func (w *setWriter) abort() {
	for _, sw := range []*splitWriter{w.train, w.val} {
		for _, fw := range sw.ws {
			fw.Abort()
		}
	}
}
