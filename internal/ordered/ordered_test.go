package ordered

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestMapOrderAndBound(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 5} {
		var alive, most atomic.Int32
		var got []int
		err := Map(context.Background(), 50, workers, func(_ context.Context, i int) (int, error) {
			n := alive.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			return i * i, nil
		}, func(i, v int) error {
			if v != i*i {
				t.Errorf("workers %d: use(%d, %d): want %d", workers, i, v, i*i)
			}
			got = append(got, i)
			alive.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 50 {
			t.Fatalf("workers %d: used %d results, want 50", workers, len(got))
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("workers %d: result %d used at position %d", workers, v, i)
			}
		}
		if limit := int32(max(workers, 1) + 1); most.Load() > limit {
			t.Errorf("workers %d: %d results alive at once, want at most %d", workers, most.Load(), limit)
		}
	}
}

func TestMapErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name         string
		workErr, use int // index that fails (-1: none)
	}{
		{"work fails", 7, -1},
		{"use fails", -1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used := 0
			err := Map(context.Background(), 100, 2, func(ctx context.Context, i int) (int, error) {
				if i == tt.workErr {
					return 0, boom
				}
				return i, ctx.Err()
			}, func(i, v int) error {
				used++
				if i == tt.use {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Errorf("got %v, want %v", err, boom)
			}
			if want := max(tt.workErr, tt.use+1); used != want {
				t.Errorf("used %d results, want %d", used, want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Map(ctx, 10, 2, func(ctx context.Context, i int) (int, error) { return i, nil }, func(int, int) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
}
