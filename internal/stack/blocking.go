package stack

import (
	"runtime"
	"strings"
)

// A Blocking says what a goroutine waits for, as far as a dump's state or a
// profile's program counters tell.
type Blocking uint8

const (
	// NotParked: running, runnable, in a system call, or preempted; or, for
	// a profile's record, anything not parked by the scheduler.
	NotParked Blocking = iota
	// OnChan: a channel operation or a select, nil channels included.
	OnChan
	// OnLock: a mutex, a read-write mutex, a wait group, a condition
	// variable or a semaphore.
	OnLock
	// OnIO: the network poller (a socket, a pipe, a timer-less deadline).
	OnIO
	// OnSleep: time.Sleep.
	OnSleep
	// OnOther: anything else the scheduler parks for: the garbage
	// collector, a finalizer, a trace reader, synctest.Wait, ...
	OnOther
)

// String returns the constant's name without "On", in lower case, or
// "not parked".
func (b Blocking) String() string {
	switch b {
	case NotParked:
		return "not parked"
	case OnChan:
		return "chan"
	case OnLock:
		return "lock"
	case OnIO:
		return "io"
	case OnSleep:
		return "sleep"
	}
	return "other"
}

// Blocking classifies g's State.
func (g Goroutine) Blocking() Blocking {
	s := g.State
	switch {
	case s == "running", s == "runnable", s == "syscall", s == "preempted", s == "":
		return NotParked
	case strings.HasPrefix(s, "chan "), strings.HasPrefix(s, "select"):
		return OnChan
	case strings.HasPrefix(s, "sync."), strings.HasPrefix(s, "semacquire"):
		return OnLock
	case s == "IO wait":
		return OnIO
	case s == "sleep":
		return OnSleep
	}
	return OnOther
}

// Blocking classifies r from its program counters, which mean something
// only in the process that wrote the profile (see [Record.Parked]).
func (r Record) Blocking() Blocking {
	if !r.Parked() {
		return NotParked
	}
	for _, pc := range r.PCs[1:] {
		f := runtime.FuncForPC(pc - 1)
		if f == nil {
			return OnOther
		}
		switch name := f.Name(); name {
		case "runtime.goparkunlock", "runtime.semacquire1":
			continue
		case "runtime.chanrecv", "runtime.chansend", "runtime.selectgo", "runtime.block":
			return OnChan
		case "runtime.netpollblock":
			return OnIO
		case "time.Sleep", "runtime.timeSleep":
			return OnSleep
		default:
			if strings.HasPrefix(name, "sync.runtime_") || strings.HasPrefix(name, "internal/sync.runtime_") {
				return OnLock
			}
			return OnOther
		}
	}
	return OnOther
}

// Key returns a string that a dump's goroutine and a profile's record of the
// same stack share: their Go frames outside the runtime, at most the
// innermost 32 (see [SetLabels]).
func Key(frames []Frame) string { return joinKey(frames) }
