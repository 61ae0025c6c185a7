//go:build unix

package otelbridge

import (
	"io"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// BenchmarkLeakDetection10k measures one pass of [WithLeakDetection]
// (observe: the goroutineleak profile written, parsed and counted by owner)
// in a process with 10,000 live goroutines, blocked on a channel still
// reachable, against one runtime.GC() (raw), which the profile runs, and
// one goroutine profile written with debug 1 (goroutine-profile).
// cpu-ns/op is the process's CPU time per operation, all threads: a pass
// every interval costs cpu-ns/op over the interval of one core, so at the
// interval we recommend, one minute, about one garbage collection a minute.
// Go 1.26 without GOEXPERIMENT=goroutineleakprofile has no goroutineleak
// profile, and skips it.
func BenchmarkLeakDetection10k(b *testing.B) { benchmarkLeakDetection(b, 10_000) }

// BenchmarkLeakDetection100k is BenchmarkLeakDetection10k with 100,000
// live goroutines.
func BenchmarkLeakDetection100k(b *testing.B) { benchmarkLeakDetection(b, 100_000) }

func benchmarkLeakDetection(b *testing.B, n int) {
	if pprof.Lookup("goroutineleak") == nil {
		b.Skip("the runtime has no goroutineleak profile")
	}
	release := parkGoroutines(n)
	defer release()
	b.Run("raw", func(b *testing.B) {
		measureCPU(b, runtime.GC)
	})
	b.Run("observe", func(b *testing.B) {
		d := &leakDetector{profile: pprof.Lookup("goroutineleak"), sets: map[leakKey]attribute.Set{}}
		measureCPU(b, func() {
			if err := d.pass(); err != nil {
				b.Fatal(err)
			}
		})
		if n := len(*d.last.Load()); n != 0 {
			b.Fatalf("the pass found %d leaked goroutines' owners, want none", n)
		}
	})
	b.Run("goroutine-profile", func(b *testing.B) {
		p := pprof.Lookup("goroutine")
		measureCPU(b, func() {
			if err := p.WriteTo(io.Discard, 1); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// measureCPU runs op b.N times and reports, besides the wall time, the
// process's CPU time per op.
func measureCPU(b *testing.B, op func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time the process has used, user and system, in
// all its threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parkGoroutines starts n goroutines blocked on a channel that release
// closes; release returns when they have.
func parkGoroutines(n int) (release func()) {
	ch := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	return func() {
		close(ch)
		done.Wait()
	}
}
