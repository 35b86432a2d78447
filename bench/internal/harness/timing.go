package harness

import (
	"runtime"
	"slices"
	"time"
)

// Timings are the wall times of a series of runs and the CPU time the
// process used over all of them.
type Timings struct {
	Wall []time.Duration // in run order
	CPU  time.Duration
}

// Time calls run n times, each after a garbage collection (not timed), and
// returns the wall time of each call and the CPU time of the process over
// the series (collections included). It stops at the first error.
func Time(n int, run func(i int) error) (Timings, error) {
	var t Timings
	cpu0 := CPUTime()
	for i := 0; i < n; i++ {
		runtime.GC()
		start := time.Now()
		if err := run(i); err != nil {
			return t, err
		}
		t.Wall = append(t.Wall, time.Since(start))
	}
	t.CPU = CPUTime() - cpu0
	return t, nil
}

// sorted returns the wall times in increasing order.
func (t Timings) sorted() []time.Duration {
	s := slices.Clone(t.Wall)
	slices.Sort(s)
	return s
}

// Min is the shortest wall time (0 without runs).
func (t Timings) Min() time.Duration { return t.at(0) }

// Median is the median wall time, the upper one of an even count (0
// without runs).
func (t Timings) Median() time.Duration { return t.at(len(t.Wall) / 2) }

// Max is the longest wall time (0 without runs).
func (t Timings) Max() time.Duration { return t.at(len(t.Wall) - 1) }

func (t Timings) at(i int) time.Duration {
	if len(t.Wall) == 0 {
		return 0
	}
	return t.sorted()[i]
}

// Mean is the mean wall time (0 without runs).
func (t Timings) Mean() time.Duration { return t.perRun(sum(t.Wall)) }

// CPUPerRun is the CPU time divided by the number of runs.
func (t Timings) CPUPerRun() time.Duration { return t.perRun(t.CPU) }

func (t Timings) perRun(d time.Duration) time.Duration {
	if len(t.Wall) == 0 {
		return 0
	}
	return d / time.Duration(len(t.Wall))
}

func sum(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s
}
