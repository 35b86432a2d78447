// Package view serves `sptflow view`: a local web app over a data directory
// in the original layout (stage_1/, stage_2/, stage_3/ or stage_3_tagged/,
// stage_3_reviews/, stage_3_analysis/) and, when there is one, the project's
// store (request records, run journals and spend ledgers).
//
// The rows are indexed once per digest of the data files (their paths,
// sizes and modification times) into an SQLite database with an FTS5
// full-text index (modernc.org/sqlite, pure Go): the page asks for one page
// of rows and the facet counts of the current filter, never for the data.
// Row lineage reads the one batch file an item comes from.
package view

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/steps/compare"
)

// Source is what one view shows: a data directory and, optionally, the
// store of the project that produced it.
type Source struct {
	// Name labels the source (a pipeline's name, or the directory).
	Name string
	// Dir is the data directory: it holds stage_* directories, or is itself
	// a directory of stage-3 files (<topic>/batch_*.json).
	Dir string
	// Store is the project's store directory (.sptflow), "" when there is none.
	Store string
	// Pipeline is the pipeline's name in the store's runs ("" = every run).
	Pipeline string
	// Run is the run the overview shows by default ("" = the latest run
	// of Pipeline): for a lock file, the run that produced it (RunOf).
	Run string
	// Compare, when set, is what the comparison's report (steps/compare)
	// reads for this side instead of Dir's files: for a lock file, the
	// sealed outputs its entries pin, from the store, with the lock's usage.
	Compare func() (compare.Side, error)
}

// Stage directories of the original layout.
const (
	dirStage1  = "stage_1"
	dirStage2  = "stage_2"
	dirStage3  = "stage_3"
	dirTagged  = "stage_3_tagged"
	dirReviews = "stage_3_reviews"
)

// layout is where a source's files of each kind are.
type layout struct {
	stage1, stage2 []string // batch files, relative to Dir
	records        []string // stage-3 files (tagged when there are)
	reviews        []string // stage_3_reviews/*_reviews.jsonl
}

// scan lists the source's files.
func (s Source) scan() (layout, error) {
	var l layout
	var err error
	if l.stage1, err = batchFiles(s.Dir, dirStage1); err != nil {
		return l, err
	}
	if l.stage2, err = batchFiles(s.Dir, dirStage2); err != nil {
		return l, err
	}
	if l.records, err = batchFiles(s.Dir, dirTagged); err != nil {
		return l, err
	}
	if len(l.records) == 0 {
		if l.records, err = batchFiles(s.Dir, dirStage3); err != nil {
			return l, err
		}
	}
	if len(l.records) == 0 && len(l.stage1) == 0 && len(l.stage2) == 0 {
		// The directory itself in the stage-3 layout: <topic>/batch_*.json.
		if l.records, err = batchFiles(s.Dir, "."); err != nil {
			return l, err
		}
	}
	m, _ := filepath.Glob(filepath.Join(s.Dir, dirReviews, "*_reviews.jsonl"))
	for _, p := range m {
		rel, _ := filepath.Rel(s.Dir, p)
		l.reviews = append(l.reviews, filepath.ToSlash(rel))
	}
	slices.Sort(l.reviews)
	return l, nil
}

// batchFiles lists sub/<topic>/*.json under dir, relative to dir.
func batchFiles(dir, sub string) ([]string, error) {
	root := filepath.Join(dir, sub)
	topics, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	var out []string
	for _, t := range topics {
		if !t.IsDir() || strings.HasPrefix(t.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", filepath.Join(root, t.Name()), err)
		}
		for _, f := range files {
			if f.Type().IsRegular() && strings.HasSuffix(f.Name(), ".json") {
				out = append(out, filepath.ToSlash(filepath.Join(sub, t.Name(), f.Name())))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// digest identifies the indexed content: the schema version and every
// indexed file's path, size and modification time, and the request store's
// record log segments. A change to any of them makes a new index.
func (s Source) digest(l layout) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "sptflow-view/%d\x00", schemaVersion)
	files := slices.Concat(l.stage1, l.stage2, l.records, l.reviews)
	for _, rel := range files {
		fi, err := os.Stat(filepath.Join(s.Dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("digest %s: %w", rel, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", rel, fi.Size(), fi.ModTime().UnixNano())
	}
	if s.Store != "" {
		logDir := filepath.Join(s.Store, "records", requestsNamespace)
		_ = filepath.WalkDir(logDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if fi, err := d.Info(); err == nil {
				fmt.Fprintf(h, "%s\x00%d\x00", p, fi.Size())
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
