package safego_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sourcegraph/conc"
	"golang.org/x/sync/errgroup"

	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/safego"
)

// goRound is how many goroutines a round of BenchmarkGo and
// BenchmarkGoTraced starts: in verify mode, one test's worth.
const goRound = 1000

// BenchmarkGo starts one goroutine and waits for it to return. raw is a go
// statement and a sync.WaitGroup; off, observe and verify are safego.Go in
// each mode, waited for the same way; errgroup and conc are a zero
// errgroup.Group and a zero conc.WaitGroup with one Go and a Wait. Observe
// runs otelbridge on an SDK TracerProvider that samples with
// ParentBased(NeverSample) and an SDK MeterProvider with a manual reader,
// under an unsampled request span; verify runs every round of 1000
// goroutines as a test of its own under oracle.Check.
func BenchmarkGo(b *testing.B) {
	o := harness.NewOTel(false)
	defer o.Shutdown()
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, end := o.Request(base)
	defer end()

	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }
	raw := func(ctx context.Context) {
		wg.Add(1)
		go fn(ctx)
		wg.Wait()
	}
	harness.Warm(func() { raw(base) })
	b.Run("raw", func(b *testing.B) { loop(b, goRound, base, false, raw) })
	owned := func(ctx context.Context) {
		wg.Add(1)
		safego.Go(ctx, "bench", fn)
		wg.Wait()
	}
	b.Run("off", func(b *testing.B) { loop(b, goRound, base, false, owned) })
	b.Run("observe", func(b *testing.B) {
		defer o.Install()()
		loop(b, goRound, base, false, owned)
	})
	b.Run("verify", func(b *testing.B) { loop(b, goRound, base, true, owned) })
	b.Run("errgroup", func(b *testing.B) {
		loop(b, goRound, base, false, func(context.Context) {
			var g errgroup.Group
			g.Go(func() error { return nil })
			_ = g.Wait()
		})
	})
	b.Run("conc", func(b *testing.B) {
		loop(b, goRound, base, false, func(context.Context) {
			var g conc.WaitGroup
			g.Go(func() {})
			g.Wait()
		})
	})
}

// BenchmarkGoTraced is BenchmarkGo in a sampled trace: the request span is
// sampled, and the TracerProvider samples with ParentBased(AlwaysSample) and
// exports through a batch span processor to an exporter that discards. raw is
// a go statement plus a span started and ended by hand on the same provider,
// a child of the request span; observe is safego.Go with otelbridge, whose
// goroutine span is that child.
func BenchmarkGoTraced(b *testing.B) {
	o := harness.NewOTel(true)
	defer o.Shutdown()
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, end := o.Request(base)
	defer end()

	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }
	tracer := o.Tracer()
	raw := func(ctx context.Context) {
		wg.Add(1)
		sctx, span := tracer.Start(ctx, "bench")
		go func() {
			defer span.End()
			fn(sctx)
		}()
		wg.Wait()
	}
	harness.Warm(func() { raw(base) })
	b.Run("raw", func(b *testing.B) { loop(b, goRound, base, false, raw) })
	b.Run("observe", func(b *testing.B) {
		defer o.Install()()
		loop(b, goRound, base, false, func(ctx context.Context) {
			wg.Add(1)
			safego.Go(ctx, "bench", fn)
			wg.Wait()
		})
	})
}

// loop runs op once per iteration of b's loop, in rounds of n iterations
// (harness.Rounds); with verify, each round is a test under oracle.Check and
// op gets the test's context, else it gets base.
func loop(b *testing.B, n int, base context.Context, verify bool, op func(ctx context.Context)) {
	var ctx context.Context
	r := harness.NewRounds(b, n, func() func() {
		var end func()
		ctx, end = harness.Round(b, base, verify)
		return end
	})
	b.ReportAllocs()
	for b.Loop() {
		r.Next()
		op(ctx)
	}
	r.Done()
}
