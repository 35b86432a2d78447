package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sptflow/sptflow/steps/spt"
)

// strip writes copies of dir's <topic>/*.json files below out with what
// the tagger adds removed, in the stage-3 flavour (indent 2, UTF-8).
func strip(dir, out string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no <topic>/*.json files below %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		doc, err := spt.ReadBatch(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := untag(doc); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		enc, err := spt.EncodeBatch(doc)
		if err != nil {
			return err
		}
		p := filepath.Join(out, filepath.Base(filepath.Dir(f)), filepath.Base(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, enc, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("prepared %d files in %s\n", len(files), out)
	return nil
}
