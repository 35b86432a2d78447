package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

func TestConnFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" = not a connection failure
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), "connection reset"},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.example"}}, "DNS lookup of api.example: no such host"},
		{"dial timeout", &net.OpError{Op: "dial", Err: timeoutError("i/o timeout")}, ""},
		{"header timeout", ErrHeaderTimeout, ""},
		{"other", errors.New("unexpected EOF"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := connFailure(tt.err)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// connObserver stops after n connection failures.
type connObserver struct {
	mu       sync.Mutex
	n, fails int
	target   string
}

func (o *connObserver) ObserveResponse(int, http.Header, time.Duration) {}

func (o *connObserver) ObserveConnFailure(target, cause string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fails++
	o.target = target
	if o.fails >= o.n {
		return &llm.UnreachableError{Model: "m", Target: target, Cause: cause, Failures: o.fails}
	}
	return nil
}

// TestUnreachableEndsRetries: against a closed port, the transport tells
// the observer of each refused connection and stops retrying as soon as
// it says the server is unreachable.
func TestUnreachableEndsRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	obs := &connObserver{n: 2}
	c := New(Config{MaxRetries: 5, MinWait: time.Millisecond, MaxWait: time.Millisecond, Observer: obs})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+addr+"/v1/messages", nil)
	_, err = c.Do(req)
	if !errors.Is(err, llm.ErrUnreachable) {
		t.Fatalf("got %v; want ErrUnreachable", err)
	}
	if obs.fails != 2 || obs.target != "http://"+addr {
		t.Errorf("observer: %d failures at %s; want 2 at http://%s (no retry after the stop)", obs.fails, obs.target, addr)
	}
}
