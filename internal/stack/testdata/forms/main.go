// Command forms prints a goroutine dump holding the forms of Go's traceback
// that a test cannot provoke in its own process: runtime frames and the
// GOTRACEBACK=system header and frame lines, the runtime's own goroutines,
// ancestor tracebacks (GODEBUG=tracebackancestors) cut at 50 frames, a
// stack deep enough to be elided in the middle, a goroutine in a system
// call. The golden test
// runs it with
//
//	GODEBUG=tracebackancestors=2,tracebacklabels=1 go run ./testdata/forms
//
// and, for the GOTRACEBACK=system forms (runtime.Stack ignores GOTRACEBACK;
// a crash does not), with GOTRACEBACK=system and the argument "crash": then
// it panics instead of printing the dump, and the runtime writes the dump
// to standard error after the panic message.
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

var block = make(chan struct{})

// deep recurses n times, then runs f.
func deep(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	deep(n-1, f)
	runtime.KeepAlive(n)
}

// blockedDeep blocks 120 frames deep: the dump elides the middle frames.
func blockedDeep() { deep(120, func() { <-block }) }

// spawnDeep starts a goroutine 60 frames deep: its ancestor traceback holds
// the runtime's maximum of 50 frames, then "...additional frames elided...".
func spawnDeep() {
	deep(60, func() {
		go child()
		<-block
	})
}

func child() { <-block }

// inSyscall blocks in read(2) on a blocking pipe.
func inSyscall(fd int) {
	var b [1]byte
	syscall.Read(fd, b[:])
}

// ready reports whether the dump shows every goroutine of this program
// parked where it should be.
func ready(dump string) bool {
	for _, want := range []string{"main.blockedDeep", "main.child", "main.spawnDeep", "main.inSyscall", "main.labelled"} {
		if !strings.Contains(dump, want) {
			return false
		}
	}
	return !strings.Contains(dump, "[runnable") && strings.Count(dump, "[running") == 1
}

func labelled() {
	pprof.Do(context.Background(), pprof.Labels("custody.id", "3", "custody.name", "forms"), func(context.Context) {
		<-block
	})
}

func main() {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		panic(err)
	}
	go blockedDeep()
	go spawnDeep()
	go inSyscall(p[0])
	go labelled()
	buf := make([]byte, 1<<20)
	for {
		dump := string(buf[:runtime.Stack(buf, true)])
		if ready(dump) {
			if len(os.Args) > 1 && os.Args[1] == "crash" {
				panic("forms: crash as asked")
			}
			os.Stdout.WriteString(dump)
			return
		}
		time.Sleep(time.Millisecond)
	}
}
