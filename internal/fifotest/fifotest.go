//go:build unix

// Package fifotest helps tests check that a call never waits on a named
// pipe put where a file belongs (README: "no command waits on a FIFO").
package fifotest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Timeout is how long a call may take with a named pipe in its way before
// the test calls it hung.
const Timeout = 5 * time.Second

// Make replaces p (if it exists) with a named pipe, making its directory,
// or skips the test where named pipes cannot be made.
func Make(t testing.TB, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// NoBlock runs fn and fails the test if it has not returned within
// Timeout: it waits on the named pipe fifo. The pipe is then opened for
// writing and closed, so that the blocked reader gets end-of-file and the
// hung call ends with the test instead of outliving it.
func NoBlock(t testing.TB, fifo string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(Timeout):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatalf("blocked on the named pipe %s for %v", fifo, Timeout)
	}
}
