package oracle

import (
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// BenchmarkVerdictClean measures the verdict on a clean test that started
// and stopped 10 goroutines, against goleak.Find on the same work. Run with
//
//	go test -run '^$' -bench Verdict ./oracle
func BenchmarkVerdictClean(b *testing.B) {
	const n = 10
	b.Run("oracle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fake := newFake("BenchmarkClean")
			ctx := Check(fake)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() { <-ctx.Done() })
			}
			fake.cancel()
			wg.Wait()
			fake.finish()
			if v := fake.verdict(); v != "" {
				b.Fatal(v)
			}
		}
	})
	b.Run("goleak", func(b *testing.B) {
		b.ReportAllocs()
		ignore := goleak.IgnoreCurrent()
		for b.Loop() {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() { <-stop })
			}
			close(stop)
			wg.Wait()
			if err := goleak.Find(ignore); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerdictBlockedForever measures how long the verdict takes to
// report one goroutine blocked forever, with the goroutineleak profile
// (binaries built with GOEXPERIMENT=goroutineleakprofile) and without it,
// when the verdict waits out a 500ms settle time. Each iteration leaks one
// goroutine for good; run it with a small -benchtime, such as 5x.
func BenchmarkVerdictBlockedForever(b *testing.B) {
	run := func(b *testing.B, opts ...Option) {
		for b.Loop() {
			fake := newFake("BenchmarkBlocked")
			Check(fake, append(opts, Settle(500*time.Millisecond))...)
			go blockForever()
			fake.finish()
			if fake.verdict() == "" {
				b.Fatal("the leak was not reported")
			}
		}
	}
	b.Run("settle", func(b *testing.B) { run(b, withoutLeakProfile()) })
	b.Run("profile", func(b *testing.B) {
		if pprof.Lookup("goroutineleak") == nil {
			b.Skip("needs GOEXPERIMENT=goroutineleakprofile")
		}
		run(b)
	})
}
