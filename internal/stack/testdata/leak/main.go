// Command leak leaks goroutines and prints what the goroutineleak profile
// says of them: goroutines blocked forever on channels and locks that
// nothing else can reach, some with pprof labels, beside a goroutine
// blocked on a channel that is still reachable (not leaked). The profile
// exists in Go 1.26 with GOEXPERIMENT=goroutineleakprofile and by default
// from Go 1.27. The golden test runs it with
//
//	GODEBUG=tracebacklabels=1 go run ./testdata/leak goroutineleak 2
//
// which prints the profile with debug 2, a goroutine dump in which the
// leaked goroutines are marked "(leaked)", and with "goroutineleak 1" and
// "goroutine 1", which print the goroutineleak and goroutine profiles with
// debug 1: one record per stack and label set, with a count.
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// live stays reachable from a global: a goroutine blocked on it is not leaked.
var live = make(chan int)

func leakRecv() {
	ch := make(chan int)
	go func() { <-ch }()
}

func leakSend(n int) {
	ch := make(chan int)
	for range n {
		go func() { ch <- 1 }()
	}
}

func leakSelect() {
	a, b := make(chan int), make(chan int)
	go func() {
		select {
		case <-a:
		case <-b:
		}
	}()
}

func leakMutex() {
	var mu sync.Mutex
	mu.Lock()
	go func() {
		mu.Lock()
	}()
}

func leakWaitGroup() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { wg.Wait() }()
}

func blockLive() { <-live }

func main() {
	name := os.Args[1]
	debug, _ := strconv.Atoi(os.Args[2])
	go blockLive()
	leakRecv()
	leakSelect()
	leakMutex()
	leakWaitGroup()
	pprof.Do(context.Background(), pprof.Labels("custody.id", "12", "custody.name", `worker "one", {a}`), func(context.Context) {
		leakSend(2)
	})
	pprof.Do(context.Background(), pprof.Labels("custody.id", "13", "custody.name", "worker two"), func(context.Context) {
		leakSend(1)
	})
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		os.Stderr.WriteString("leak: no goroutineleak profile in " + runtime.Version() + "\n")
		os.Exit(1)
	}
	// Wait until every goroutine started above has blocked.
	for {
		buf := make([]byte, 1<<20)
		dump := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(dump, "[runnable") && strings.Count(dump, "\ngoroutine ") == 8 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if name == "goroutine" {
		runtime.GC() // as the goroutineleak profile does: dead goroutines gone
		p = pprof.Lookup(name)
	}
	if err := p.WriteTo(os.Stdout, debug); err != nil {
		panic(err)
	}
}
