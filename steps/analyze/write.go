package analyze

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"

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
	r.report.Set("sanity_check_failures", append([]string{}, a.failures...))
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
	if err := a.writeExamples(ctx, r.cats, put); err != nil {
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

func (a *analysis) writeExamples(ctx context.Context, cats []*category, put func(string, any) error) error {
	items, err := a.readItems(ctx, cats)
	if err != nil {
		return err
	}
	for _, c := range cats {
		name := "interesting_examples/" + c.name + ".json"
		if !c.isList {
			if c.obj.Len() > 0 {
				if err := put(name, c.obj); err != nil {
					return err
				}
			}
			continue
		}
		if len(c.list) == 0 {
			continue
		}
		v, err := a.exampleList(c, items)
		if err == nil {
			err = put(name, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *analysis) exampleList(c *category, items map[[2]int][]byte) ([]any, error) {
	var out []any
	for _, e := range c.written(a.opts.MaxExamplesPerTopic) {
		switch {
		case e.rec != nil:
			out = append(out, e.rec.ex)
		case e.obj != nil:
			out = append(out, e.obj)
		default:
			item, err := pyjson.Parse(items[[2]int{e.file, e.item}])
			if err != nil {
				return nil, fmt.Errorf("read item %d of %s: %w", e.item, a.files[e.file].path, err)
			}
			o := pyjson.NewObject(2)
			o.Set("affected_subsets", e.subsets)
			o.Set("item", item)
			out = append(out, o)
		}
	}
	return out, nil
}

// readItems reads again, concurrently, the files holding items that are
// written whole, and returns copies of those items' bytes.
func (a *analysis) readItems(ctx context.Context, cats []*category) (map[[2]int][]byte, error) {
	need := map[int][]int{}
	seen := map[[2]int]bool{}
	for _, c := range cats {
		if !c.raw {
			continue
		}
		for _, e := range c.written(a.opts.MaxExamplesPerTopic) {
			k := [2]int{e.file, e.item}
			if !seen[k] {
				seen[k] = true
				need[e.file] = append(need[e.file], e.item)
			}
		}
	}
	var mu sync.Mutex
	items := map[[2]int][]byte{}
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for fi, list := range need {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			fr := a.files[fi]
			data, err := readInto(fr.file, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = fmt.Errorf("read %s again: %w", fr.path, err)
				return
			}
			for _, ii := range list {
				it := fr.items[ii]
				if it.end > len(data) {
					firstErr = fmt.Errorf("%s changed while being analysed", fr.path)
					return
				}
				items[[2]int{fi, ii}] = append([]byte(nil), data[it.start:it.end]...)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return items, firstErr
}
