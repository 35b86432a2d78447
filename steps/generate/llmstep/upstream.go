package llmstep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// ErrRowsFailed reports a partition some of whose rows failed after their
// retries. The step wrote everything else; the partition is not sealed, so
// the next run re-runs it: the rows that succeeded are served by the request
// store and only the failed ones are requested again.
var ErrRowsFailed = errors.New("rows failed")

// File is one upstream batch file, parsed.
type File struct {
	Name string // base name, "batch_<topic>_..._001.json"
	Doc  *pyjson.Object
}

// ReadBatchFiles parses every batch_*.json file of the upstream outputs,
// sorted by name. Two files with the same name are an error.
func ReadBatchFiles(ups []engine.Upstream) ([]File, error) {
	var files []File
	for _, u := range ups {
		for _, f := range u.Files {
			name := path.Base(f.Path)
			if !strings.HasPrefix(name, "batch_") || path.Ext(name) != ".json" {
				continue
			}
			doc, err := readBatch(f)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: %s: %w", u.ID, f.Path, err)
			}
			files = append(files, File{Name: name, Doc: doc})
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return nil, fmt.Errorf("two upstream files named %s", files[i].Name)
		}
	}
	return files, nil
}

func readBatch(f engine.OutputFile) (*pyjson.Object, error) {
	data, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	return spt.ReadBatch(data)
}

// ItemRef names one item of a batch file.
type ItemRef struct {
	File  int // index into the files
	Index int // index into the file's data list
	Item  *pyjson.Object
	rank  [32]byte
}

// OrderItems returns every item of files in the hash-stable order behind
// --limit: by SHA-256 of the item's identity (its stage-1 content and its
// index in its file), so adding files or items upstream inserts new items
// without reordering the old ones. The identity leaves out the file name,
// whose batch id carries the time stage 1 ran: the same items regenerated
// later, or copied between projects, keep their order (and so the stage-3
// batches they are grouped into). Ties keep file order. limit > 0 keeps the
// first limit items: a trial run takes a prefix of the full run's order.
// Non-object items are errors.
func OrderItems(files []File, limit int) ([]ItemRef, error) {
	var refs []ItemRef
	for fi, f := range files {
		data, ok := spt.Data(f.Doc)
		if !ok {
			return nil, fmt.Errorf("%s: no \"data\" list", f.Name)
		}
		for i := range data {
			item, err := spt.Item(data, i)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			refs = append(refs, ItemRef{File: fi, Index: i, Item: item, rank: itemRank(item, i)})
		}
	}
	slices.SortStableFunc(refs, func(a, b ItemRef) int { return bytes.Compare(a.rank[:], b.rank[:]) })
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	return refs, nil
}

// rankFields are the stage-1 fields that identify an item.
var rankFields = []string{"thought_process", "A", "B", "T"}

func itemRank(item *pyjson.Object, index int) [32]byte {
	h := sha256.New()
	for _, k := range rankFields {
		s, ok := item.Str(k)
		h.Write([]byte{boolByte(ok)})
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(index))
	h.Write(n[:])
	var r [32]byte
	h.Sum(r[:0])
	return r
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// replicaStride separates the request replica ranges of successive
// with.replica values, far above any batch count.
const replicaStride = 1_000_003

// Replica returns the request replica index of base (batch i, review round
// r) in draw replica of the partition's samples: base itself for replica 0,
// so the original draw's request keys never change.
func Replica(base, replica int) int { return base + replica*replicaStride }

// IsFatal reports errors that end a partition rather than one row:
// cancellation, exhausted quota, the cost budget, and anything that is not
// a classified model error (the request store failing, say), and
// authentication failures (every other row would fail the same way).
func IsFatal(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, llm.ErrQuotaExhausted) || errors.Is(err, llm.ErrBudgetExceeded) {
		return true
	}
	var e *llm.Error
	return !errors.As(err, &e) || e.Kind == llm.KindAuth
}
