//go:build linux

// Command interference measures how much CPU time a computation is charged
// while the machine's other cores write files: a SHA-256 loop on one
// locked thread, timed by that thread's own CPU clock, alone and while
// another goroutine (a) writes 4 MiB files into the page cache, (b) writes
// and fsyncs them, (c) runs the same loop (the control: two computations
// that share nothing).
//
//	go run ./bench/interference [-rounds 3] [-dir DIR]
//
// On a machine where the disk and the page cache cost the computing core
// nothing, (a) and (b) stay near "alone". On this project's VM they do
// not (README, "What is left"): overlapping a step's writing and fsyncing
// with its parsing shortens the wall time but raises the CPU time it is
// charged, which is why tag does not overlap them.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	rounds := flag.Int("rounds", 3, "measurements of each case")
	dir := flag.String("dir", os.TempDir(), "directory for the files written by the writing cases")
	flag.Parse()
	if err := run(*rounds, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "interference:", err)
		os.Exit(1)
	}
}

// A background is what the other goroutine does while the loop runs; it
// returns how many units of it were done when stop is set.
type background func(stop *atomic.Bool) (int, error)

func run(rounds int, parent string) error {
	dir, err := os.MkdirTemp(parent, "sptflow-interference-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	buf := make([]byte, 16<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	cases := []struct {
		name string
		bg   background
	}{
		{"alone", nil},
		{"(a) writes 4 MiB files", writer(dir, false)},
		{"(b) writes and fsyncs 4 MiB files", writer(dir, true)},
		{"(c) the same loop (control)", looper(buf)},
	}
	fmt.Printf("%d cores (GOMAXPROCS %d); a SHA-256 loop over 16 MiB x 30 on one thread, %d rounds, its thread's CPU time in ms\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), rounds)
	var base time.Duration
	for _, c := range cases {
		var cpus []time.Duration
		units := 0
		for range rounds {
			cpu, n, err := measure(buf, c.bg)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			cpus = append(cpus, cpu)
			units += n
		}
		slices.Sort(cpus)
		med := cpus[len(cpus)/2]
		if base == 0 {
			base = med
		}
		fmt.Printf("  %-36s median %4d ms (%d–%d), %+5.1f%% against alone", c.name, med.Milliseconds(),
			cpus[0].Milliseconds(), cpus[len(cpus)-1].Milliseconds(), 100*(float64(med)/float64(base)-1))
		if c.bg != nil {
			fmt.Printf("; the other goroutine did %d units", units)
		}
		fmt.Println()
	}
	return nil
}

// measure runs the loop on a locked thread while bg runs, and returns the
// loop thread's CPU time and the units bg did.
func measure(buf []byte, bg background) (time.Duration, int, error) {
	var stop atomic.Bool
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	if bg != nil {
		go func() {
			n, err := bg(&stop)
			done <- result{n, err}
		}()
		time.Sleep(20 * time.Millisecond) // let it get going
	}
	cpu := loop(buf, 30)
	stop.Store(true)
	if bg == nil {
		return cpu, 0, nil
	}
	r := <-done
	return cpu, r.n, r.err
}

// loop hashes buf n times on a locked thread and returns that thread's CPU
// time.
func loop(buf []byte, n int) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for range n {
		sha256.Sum256(buf)
	}
	return threadCPU() - start
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err) // Linux always has the clock
	}
	return time.Duration(ts.Nano())
}

// writer writes 4 MiB files over 8 names in dir (fsync'ing each when sync
// is set); a unit is a file.
func writer(dir string, sync bool) background {
	return func(stop *atomic.Bool) (int, error) {
		data := make([]byte, 4<<20)
		n := 0
		for ; !stop.Load(); n++ {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(n%8)))
			if err != nil {
				return n, err
			}
			_, err = f.Write(data)
			if err == nil && sync {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
}

// looper runs the same loop; a unit is a hash of buf.
func looper(buf []byte) background {
	return func(stop *atomic.Bool) (int, error) {
		n := 0
		for ; !stop.Load(); n++ {
			sha256.Sum256(buf)
		}
		return n, nil
	}
}
