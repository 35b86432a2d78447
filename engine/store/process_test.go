package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv selects a helper mode when the test binary re-executes itself
// as another process.
const helperEnv = "SPTFLOW_STORE_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode, os.Args[len(os.Args)-2], os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper is the body of a helper process. It reports progress on stdout,
// one line per acknowledged step.
func runHelper(mode, dir, arg string) error {
	switch mode {
	case "lease":
		s, err := Open(dir)
		if err != nil {
			return err
		}
		if _, ok, err := s.TryLease(arg); !ok || err != nil {
			return fmt.Errorf("lease not taken: %v", err)
		}
		fmt.Println("held")
		time.Sleep(time.Hour) // hold until killed
		return nil
	case "records":
		s, err := Open(dir)
		if err != nil {
			return err
		}
		r := s.Records("requests")
		for i := 0; ; i++ {
			if err := r.Put(key(fmt.Sprint(i)), recordBody(i)); err != nil {
				return err
			}
			fmt.Println("ack", i)
		}
	case "lockfile":
		for i := range 15 {
			err := UpdateLockFile(dir, jsonLockCodec{}, func(lf *LockFile) error {
				p := lf.Pipelines["p"]
				if p == nil {
					p = map[string]LockEntry{}
					lf.Pipelines["p"] = p
				}
				p[fmt.Sprintf("%s-%02d", arg, i)] = LockEntry{Key: arg, Output: strconv.Itoa(i)}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

func recordBody(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("response %d;", i)), 50+i%200)
}

// helper starts the test binary in a helper mode.
func helper(t *testing.T, mode, dir, arg string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", dir, arg)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func TestLeaseFreedWhenHolderKilled(t *testing.T) {
	s := openTest(t)
	cmd, out := helper(t, "lease", s.Dir(), "tag@sycophancy")
	if !out.Scan() || out.Text() != "held" {
		t.Fatalf("helper did not take the lease: %q", out.Text())
	}
	if _, ok, err := s.TryLease("tag@sycophancy"); ok || err != nil {
		t.Fatalf("TryLease while another process holds it: ok=%v err=%v", ok, err)
	}
	if !strings.Contains(s.LeaseHolder("tag@sycophancy"), fmt.Sprintf("pid=%d ", cmd.Process.Pid)) {
		t.Errorf("LeaseHolder: got %q, want pid %d", s.LeaseHolder("tag@sycophancy"), cmd.Process.Pid)
	}
	kill9(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := s.Lease(ctx, "tag@sycophancy")
	if err != nil {
		t.Fatalf("lease of a killed holder is not free: %v", err)
	}
	l.Release()
}

func TestRecordsSurviveWriterKill(t *testing.T) {
	s := openTest(t)
	cmd, out := helper(t, "records", s.Dir(), "")
	acked := -1
	for acked < 60 && out.Scan() {
		if _, err := fmt.Sscanf(out.Text(), "ack %d", &acked); err != nil {
			t.Fatalf("helper said %q", out.Text())
		}
	}
	kill9(t, cmd) // mid-write, most likely
	if acked < 60 {
		t.Fatalf("helper stopped after %d records", acked)
	}
	r := s.Records("requests")
	for i := 0; i <= acked; i++ {
		got, ok, err := r.Get(key(fmt.Sprint(i)))
		if err != nil || !ok || !bytes.Equal(got, recordBody(i)) {
			t.Fatalf("acknowledged record %d: ok=%v err=%v len=%d", i, ok, err, len(got))
		}
	}
	// Whatever was in flight is either complete or absent.
	for i := acked + 1; i < acked+4; i++ {
		if got, ok, _ := r.Get(key(fmt.Sprint(i))); ok && !bytes.Equal(got, recordBody(i)) {
			t.Fatalf("in-flight record %d is damaged", i)
		}
	}
}

func TestLockFileConcurrentProcesses(t *testing.T) {
	p := t.TempDir() + "/sptflow.lock"
	var wg sync.WaitGroup
	for _, who := range []string{"a", "b"} {
		cmd, _ := helper(t, "lockfile", p, who)
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				t.Errorf("helper %s: %v", who, err)
			}
		})
	}
	wg.Wait()
	lf, err := ReadLockFile(p, jsonLockCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(lf.Pipelines["p"]); got != 30 {
		t.Fatalf("lock file has %d entries, want 30 (15 from each process)", got)
	}
}
