package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTick = 10 * time.Millisecond

// machineBusy returns the CPU time the whole machine spent busy (user,
// nice, system, irq, softirq) from /proc/stat; ok is false off Linux.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, true
}

// processCPU returns the user+system CPU time of process pid from
// /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// outsideServer measures the CPU the machine spends outside the fake
// server's process: the client, plus the kernel's own threads working for
// it (writeback, network softirqs) and anything else running.
type outsideServer struct {
	pid            int
	busy0, server0 time.Duration
	ok             bool
}

func startOutside(serverPID int) *outsideServer {
	m := &outsideServer{pid: serverPID}
	var ok1, ok2 bool
	m.busy0, ok1 = machineBusy()
	m.server0, ok2 = processCPU(serverPID)
	m.ok = ok1 && ok2
	return m
}

// stop returns the CPU spent outside the server since start (ok false
// where /proc cannot tell).
func (m *outsideServer) stop() (time.Duration, bool) {
	busy, ok1 := machineBusy()
	server, ok2 := processCPU(m.pid)
	if !m.ok || !ok1 || !ok2 {
		return 0, false
	}
	return (busy - m.busy0) - (server - m.server0), true
}
