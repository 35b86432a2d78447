//go:build linux && (amd64 || arm64)

package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// aioSyncer flushes through Linux AIO (IOCB_CMD_FDSYNC, kernel 4.18+): the
// kernel runs the flush on a worker while the calling goroutine waits on an
// eventfd in the netpoller. A goroutine blocked in fdatasync instead keeps
// its thread and P in a system call for the ~1 ms the disk takes, and the
// Go runtime watches such a P every 20 µs all the while: bench/llm measured
// that watching, not the flush, as most of the request store's CPU per
// LLM request. One flush is in flight at a time; callers share flushes
// through the segment's group commit.
type aioSyncer struct {
	mu   sync.Mutex
	ctx  uintptr  // aio_context_t
	ev   *os.File // eventfd the kernel signals on completion, read through the netpoller
	evfd int      // its descriptor (ev.Fd would make it blocking)
}

// Linux AIO ABI (include/uapi/linux/aio_abi.h), little-endian layout.
type aioIocb struct {
	data     uint64
	key      uint32
	rwFlags  uint32
	opcode   uint16
	reqprio  int16
	fildes   uint32
	buf      uint64
	nbytes   uint64
	offset   int64
	reserved uint64
	flags    uint32
	resfd    uint32
}

type aioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	aioCmdFdsync = 3 // IOCB_CMD_FDSYNC
	aioFlagResfd = 1 // IOCB_FLAG_RESFD
)

// newSyncer returns an AIO syncer, or the blocking one where the kernel
// has no AIO (or a sandbox forbids it) or refuses an asynchronous flush of
// f's file system.
func newSyncer(f *os.File) syncer {
	s, err := newAIOSyncer()
	if err != nil {
		return blockingSyncer{}
	}
	if err := s.sync(f); err != nil {
		_ = s.close()
		return blockingSyncer{}
	}
	return s
}

func newAIOSyncer() (*aioSyncer, error) {
	var ctx uintptr
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return nil, e
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
		return nil, err
	}
	return &aioSyncer{ctx: ctx, ev: os.NewFile(uintptr(fd), "aio-eventfd"), evfd: fd}, nil
}

// sync submits the flush of f, waits for the eventfd (parked, not in a
// system call), then reaps the completion and returns its result.
func (s *aioSyncer) sync(f *os.File) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = s.submit(fd) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("submit flush: %w", serr)
	}
	var b [8]byte
	if _, err := s.ev.Read(b[:]); err != nil {
		return fmt.Errorf("wait for flush: %w", err)
	}
	var ev aioEvent
	for {
		n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, s.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("reap flush: %w", e)
		}
		if n != 1 {
			return errors.New("reap flush: no completion")
		}
		break
	}
	if ev.res < 0 {
		return fmt.Errorf("flush: %w", unix.Errno(-ev.res))
	}
	return nil
}

// submit queues one flush of fd, signalled on the eventfd. The kernel
// copies the control block during the call.
func (s *aioSyncer) submit(fd uintptr) error {
	cb := aioIocb{opcode: aioCmdFdsync, fildes: uint32(fd), flags: aioFlagResfd, resfd: uint32(s.evfd)}
	cbs := [1]*aioIocb{&cb}
	for {
		n, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, s.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		switch {
		case e == unix.EINTR || e == unix.EAGAIN:
			continue
		case e != 0:
			return e
		case n != 1:
			return errors.New("not queued")
		}
		return nil
	}
}

func (s *aioSyncer) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unix.Syscall(unix.SYS_IO_DESTROY, s.ctx, 0, 0)
	return s.ev.Close()
}
