//go:build !linux

// Command interference measures a thread's CPU time with Linux's
// per-thread clock; elsewhere it says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "interference: Linux only (it reads CLOCK_THREAD_CPUTIME_ID)")
	os.Exit(2)
}
