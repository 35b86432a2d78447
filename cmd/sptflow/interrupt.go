package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

// exitInterrupted is the exit code of a run stopped by an interrupt
// (128+SIGINT, as a shell reports a process ended by Ctrl-C), whether it
// stopped gracefully or was aborted by a second interrupt.
const exitInterrupted = 130

// defaultGrace bounds how long the requests in flight at the first
// interrupt may take to finish; SPTFLOW_INTERRUPT_GRACE (a Go duration)
// overrides it.
const defaultGrace = 30 * time.Second

// interrupts turns the first SIGINT or SIGTERM into a graceful stop and
// the second into an abort. A run (realRun) declares that it stops
// gracefully: then the first signal closes stop (no new request, no new
// partition) and cancels the command's context only after the grace
// period; any other command is cancelled at once. The second signal ends
// the process at once, with exitInterrupted.
type interrupts struct {
	stop     chan struct{}
	cancel   context.CancelCauseFunc
	grace    time.Duration
	graceful atomic.Bool
	stderr   io.Writer
}

type interruptsKey struct{}

// interruptsOf returns the command's interrupts (nil when the command runs
// without signal handling, as in-process tests do).
func interruptsOf(ctx context.Context) *interrupts {
	in, _ := ctx.Value(interruptsKey{}).(*interrupts)
	return in
}

// watchSignals installs the handler; call the returned function to remove it.
func watchSignals(ctx context.Context, cancel context.CancelCauseFunc, stderr io.Writer) (context.Context, func()) {
	in := &interrupts{stop: make(chan struct{}), cancel: cancel, grace: defaultGrace, stderr: stderr}
	if v := os.Getenv("SPTFLOW_INTERRUPT_GRACE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			in.grace = d
		} else {
			fmt.Fprintf(stderr, "sptflow: SPTFLOW_INTERRUPT_GRACE=%q: want a duration such as 30s; using %s\n", v, defaultGrace)
		}
	}
	// Room for both signals: a second one that arrives before the first is
	// handled is not lost.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go in.watch(sig, done)
	return context.WithValue(ctx, interruptsKey{}, in), func() { signal.Stop(sig); close(done) }
}

func (in *interrupts) watch(sig <-chan os.Signal, done <-chan struct{}) {
	var s os.Signal
	select {
	case s = <-sig:
	case <-done:
		return
	}
	close(in.stop)
	if !in.graceful.Load() {
		in.cancel(fmt.Errorf("received %v", s))
	} else {
		fmt.Fprintf(in.stderr, "sptflow: received %v: stopping; requests in flight may finish (up to %s); interrupt again to abort\n", s, in.grace)
		time.AfterFunc(in.grace, func() {
			in.cancel(fmt.Errorf("received %v; what was in flight did not finish within %s", s, in.grace))
		})
	}
	select {
	case s = <-sig:
	case <-done:
		return
	}
	fmt.Fprintf(in.stderr, "sptflow: received %v again: aborting\n", s)
	os.Exit(exitInterrupted)
}

// gracefulStop declares that the command honours the stop channel: the
// first interrupt no longer cancels its context at once. It returns the
// stop channel, nil without signal handling.
func (in *interrupts) gracefulStop() <-chan struct{} {
	if in == nil {
		return nil
	}
	in.graceful.Store(true)
	return in.stop
}

// journalStop records the stop request in the run's journal and log when
// it comes. Call the returned function before closing the journal.
func journalStop(stop <-chan struct{}, j engine.Monitor, log zerolog.Logger) func() {
	if stop == nil {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-stop:
			log.Warn().Msg("interrupt: no new requests or partitions; waiting for those in flight")
			j.Event(engine.Event{Type: engine.EventInterrupt})
		case <-done:
		}
	}()
	return func() { close(done); <-finished }
}
