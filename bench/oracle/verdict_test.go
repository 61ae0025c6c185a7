package oracle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/oracle"
)

const (
	background = 100 // goroutines of the process that belong to no test
	testsOwn   = 10  // goroutines a clean test starts and joins
)

// BenchmarkVerdict times a clean test's leak verdict, from the test's start
// to its end, in a process where 100 other goroutines are parked. The test
// starts 10 goroutines and waits for them. raw is goleak as such a test has
// to use it, defer goleak.VerifyNone(t, goleak.IgnoreCurrent()), so two
// goroutine dumps per test; verify is oracle.Check and its verdict at the
// test's end; goleak-once is goleak.VerifyNone with IgnoreCurrent taken once
// for all tests, goleak at its cheapest.
func BenchmarkVerdict(b *testing.B) {
	defer park(background)()
	clean := func(ctx context.Context) {
		var wg sync.WaitGroup
		for range testsOwn {
			wg.Go(func() { _ = ctx })
		}
		wg.Wait()
	}
	raw := func(ctx context.Context) (failed bool, why string) {
		t := harness.NewTest(ctx, "clean")
		ignore := goleak.IgnoreCurrent()
		clean(t.Context())
		goleak.VerifyNone(t, ignore)
		return t.End()
	}
	harness.Warm(func() { raw(b.Context()) })
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if failed, why := raw(b.Context()); failed {
				b.Fatal(why)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := harness.NewTest(b.Context(), "clean")
			clean(oracle.Check(t, oracle.Settle(goleakSleeps())))
			if failed, why := t.End(); failed {
				b.Fatal(why)
			}
		}
	})
	b.Run("goleak-once", func(b *testing.B) {
		ignore := goleak.IgnoreCurrent()
		b.ReportAllocs()
		for b.Loop() {
			t := harness.NewTest(b.Context(), "clean")
			clean(t.Context())
			goleak.VerifyNone(t, ignore)
			t.End()
			if failed, why := t.Failed(); failed {
				b.Fatal(why)
			}
		}
	})
}

// BenchmarkVerdictLeak1 times the verdict on a test that leaks one
// goroutine, wall-clock from the test's start to its end, including the
// wait for the goroutine to exit, in a process where 100 other goroutines
// are parked. raw is defer goleak.VerifyNone(t, goleak.IgnoreCurrent());
// verify is oracle.Check, with a settle time (oracle.Settle) equal to what
// goleak.Find sleeps in all before it gives up (its 20 retries, 431ms). The
// leaked goroutines wait on a channel that is closed after the verdict, so
// a binary built with GOEXPERIMENT=goroutineleakprofile does not shorten
// the oracle's wait either. Each iteration takes about half a second.
func BenchmarkVerdictLeak1(b *testing.B) { verdictLeak(b, 1) }

// BenchmarkVerdictLeak100 is BenchmarkVerdictLeak1 with 100 goroutines
// leaked.
func BenchmarkVerdictLeak100(b *testing.B) { verdictLeak(b, 100) }

// BenchmarkVerdictLeak2000 is BenchmarkVerdictLeak1 with 2000 goroutines
// leaked.
func BenchmarkVerdictLeak2000(b *testing.B) { verdictLeak(b, 2000) }

func verdictLeak(b *testing.B, n int) {
	defer park(background)()
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := harness.NewTest(b.Context(), "leak")
			ignore := goleak.IgnoreCurrent()
			release := park(n)
			goleak.VerifyNone(t, ignore)
			t.End()
			b.StopTimer()
			release()
			if failed, _ := t.Failed(); !failed {
				b.Fatalf("goleak did not report %d leaked goroutines", n)
			}
			b.StartTimer()
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := harness.NewTest(b.Context(), "leak")
			oracle.Check(t, oracle.Settle(goleakSleeps()))
			release := park(n)
			failed, _ := t.End()
			b.StopTimer()
			release()
			if !failed {
				b.Fatalf("the oracle did not report %d leaked goroutines", n)
			}
			b.StartTimer()
		}
	})
}

// park starts n goroutines that wait until the returned function is called;
// it returns when they have exited. Started from a test's goroutine under
// oracle.Check, they inherit the test's pprof labels and so belong to it.
func park(n int) (release func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { <-stop })
	}
	return func() {
		close(stop)
		wg.Wait()
	}
}

// goleakSleeps is how long goleak.Find (v1.3.0, which has no option to
// change it) sleeps in all before it reports goroutines that do not exit:
// it looks 21 times, sleeping min(1µs<<i, 100ms) after the i-th look.
func goleakSleeps() time.Duration {
	var d time.Duration
	for i := range 20 {
		d += min(time.Microsecond<<i, 100*time.Millisecond)
	}
	return d
}
