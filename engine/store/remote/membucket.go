package remote

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// memBucket is a bucket in this process's memory (mem://), for tests: each
// open is a new, empty bucket. Create-only writes are exclusive under its
// mutex, and reads return copies, so callers never share bytes with it.
type memBucket struct {
	mu      sync.Mutex
	entries map[string]memEntry
}

type memEntry struct {
	data []byte
	mod  time.Time
}

func newMemBucket() *memBucket { return &memBucket{entries: map[string]memEntry{}} }

func (b *memBucket) create(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.entries[key]; ok {
		return ErrExist
	}
	b.entries[key] = memEntry{data: slices.Clone(data), mod: time.Now()}
	return nil
}

func (b *memBucket) read(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(e.data), nil
}

func (b *memBucket) list(ctx context.Context, prefix string, fn func(Entry) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	var found []Entry
	for k, e := range b.entries {
		if strings.HasPrefix(k, prefix) {
			found = append(found, Entry{Key: k, Size: int64(len(e.data)), ModTime: e.mod})
		}
	}
	b.mu.Unlock()
	slices.SortFunc(found, func(x, y Entry) int { return strings.Compare(x.Key, y.Key) })
	for _, e := range found {
		if !fn(e) {
			return nil
		}
	}
	return nil
}

func (b *memBucket) remove(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.entries, key)
	b.mu.Unlock()
	return nil
}

func (b *memBucket) close() error { return nil }
