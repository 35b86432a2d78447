package analyze

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
)

// results are the computed JSON outputs, shared by the JSON files and the report.
type results struct {
	cats     []*category
	stats    map[string]*pyjson.Object // per topic
	topicCmp *pyjson.Object
	summary  *pyjson.Object
	cross    *pyjson.Object
	tags     *pyjson.Object
	report   *pyjson.Object
}

func (a *analysis) compute() *results {
	r := &results{cats: a.categories(), stats: map[string]*pyjson.Object{}, topicCmp: pyjson.NewObject(len(a.topics))}
	for _, t := range a.topics {
		r.stats[t] = a.topicStats(t)
		r.topicCmp.Set(t, r.stats[t])
	}
	r.summary = a.summaryStats()
	r.cross = a.crossTopic(r.stats)
	r.tags = a.tagAnalysis()
	r.report = pyjson.NewObject(5)
	r.report.Set("summary_stats", r.summary)
	r.report.Set("cross_topic_comparisons", r.cross)
	r.report.Set("interestingness_breakdowns", breakdowns(r.cats))
	r.report.Set("sanity_check_failures", a.failureMessages())
	r.report.Set("tag_analysis", r.tags)
	return r
}

// write computes every output and writes it below the output directory.
func (a *analysis) write(ctx context.Context, out engine.Output) error {
	r := a.compute()
	dir := a.opts.OutputDir
	put := func(name string, v any) error {
		data, err := pyjson.Marshal(v, pyjson.Tagged)
		if err == nil {
			err = out.WriteFile(path.Join(dir, name), data)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path.Join(dir, name), err)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"summary_report.json", r.report}, {"topic_comparisons.json", r.topicCmp}, {"tag_analysis.json", r.tags}} {
		if err := put(f.name, f.v); err != nil {
			return err
		}
	}
	for _, t := range a.topics {
		if err := put("by_topic/"+safeName(t)+"_analysis.json", r.stats[t]); err != nil {
			return err
		}
	}
	if err := a.writeExamples(r.cats, put, out); err != nil {
		return err
	}
	doc := a.document(r)
	if err := out.WriteFile(path.Join(dir, "report.md"), doc.Markdown()); err != nil {
		return fmt.Errorf("write report.md: %w", err)
	}
	if err := out.WriteFile(path.Join(dir, "report.html"), doc.HTML()); err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	return nil
}

// safeName keeps a topic usable as a file name.
func safeName(s string) string {
	return strings.NewReplacer("/", "_", "\\", "_", "..", "_").Replace(s)
}

// writeExamples writes interesting_examples/<category>.json, one file at
// a time.
func (a *analysis) writeExamples(cats []*category, put func(string, any) error, out engine.Output) error {
	for _, c := range cats {
		name := "interesting_examples/" + c.name + ".json"
		var err error
		switch {
		case !c.isList && c.obj.Len() > 0:
			err = put(name, c.obj)
		case !c.isList || c.n == 0:
		case c.raw:
			c.items.flush(a, 0, true)
			err = c.items.list.close()
		default:
			err = put(name, a.exampleList(c))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *analysis) exampleList(c *category) []any {
	var out []any
	for _, e := range c.written() {
		if e.ex != nil {
			out = append(out, e.ex)
		} else {
			out = append(out, e.obj)
		}
	}
	return out
}
