package oracle

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// The verdict benchmarks compare the oracle (verify) with goleak.VerifyNone
// (raw) on the same test: go test -run '^$' -bench Verdict ./oracle. The
// bench module runs the same comparison for BENCHMARKS.md.

// background starts n goroutines that run through the benchmark, as other
// tests' and libraries' goroutines do, and stops them when it ends.
func background(b *testing.B, n int) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { parkUntil(release) })
	}
	b.Cleanup(func() {
		close(release)
		wg.Wait()
	})
}

// BenchmarkVerdict measures the verdict on a clean test among 100
// background goroutines: Check and its verdict (verify), against
// goleak.VerifyNone told to ignore the background (raw).
func BenchmarkVerdict(b *testing.B) {
	background(b, 100)
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		ignore := goleak.IgnoreCurrent()
		for b.Loop() {
			fake := newFake("BenchmarkClean")
			goleak.VerifyNone(fake, ignore)
			if v := fake.verdict(); v != "" {
				b.Fatal(v)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fake := newFake("BenchmarkClean")
			Check(fake)
			fake.finish()
			if v := fake.verdict(); v != "" {
				b.Fatal(v)
			}
		}
	})
}

// BenchmarkVerdictLeak1, 100 and 2000 measure the wall time of a verdict
// on a test that leaves 1, 100 or 2,000 goroutines blocked on a channel
// (released after each verdict), with default options: goleak.VerifyNone
// (raw) and the oracle (verify). Where the runtime has the goroutineleak
// profile (Go 1.27; GOEXPERIMENT=goroutineleakprofile), the oracle's
// verdict is the profile's proof; elsewhere its wait for goroutines that
// stopped moving.
func BenchmarkVerdictLeak1(b *testing.B)    { benchLeak(b, 1) }
func BenchmarkVerdictLeak100(b *testing.B)  { benchLeak(b, 100) }
func BenchmarkVerdictLeak2000(b *testing.B) { benchLeak(b, 2000) }

func benchLeak(b *testing.B, n int) {
	background(b, 100)
	leak := func() (release func()) {
		r := make(chan struct{})
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { parkUntil(r) })
		}
		return func() {
			close(r)
			wg.Wait()
		}
	}
	b.Run("raw", func(b *testing.B) {
		ignore := goleak.IgnoreCurrent()
		for b.Loop() {
			fake := newFake("BenchmarkLeak")
			release := leak()
			goleak.VerifyNone(fake, ignore)
			release()
			if fake.verdict() == "" {
				b.Fatal("goleak did not report the leak")
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			fake := newFake("BenchmarkLeak")
			Check(fake)
			release := leak()
			fake.finish()
			release()
			if fake.verdict() == "" {
				b.Fatal("the oracle did not report the leak")
			}
		}
	})
}
