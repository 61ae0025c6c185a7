package safego_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// BenchmarkGo starts a goroutine and waits for it to exit, with a go
// statement (raw) and with Go in each mode. The context is cancelable, as a
// request's is, so observe and verify pay for the context watch. Observe
// runs as in production: the bridge on an SDK TracerProvider that samples
// with ParentBased(NeverSample), the context carrying an unsampled span,
// and an SDK MeterProvider with a manual reader. Verify runs the oracle.
func BenchmarkGo(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("raw", func(b *testing.B) { startAndWait(b, ctx, rawGo) })
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx := ctx
			switch mode {
			case core.Observe:
				tel := installOTel(sdktrace.ParentBased(sdktrace.NeverSample()), false)
				defer tel.uninstall()
				ctx = tel.request(b, ctx)
			case core.Verify:
				// The real oracle, with the benchmark as the checked test:
				// its verdict at the end also proves nothing leaked.
				ctx = oracle.Check(b)
			}
			startAndWait(b, ctx, ownedGo)
		})
	}
}

// BenchmarkGoPerRequest is BenchmarkGo with a context of its own per
// goroutine, made and canceled around it as a request's would be: the
// context watch, shared by the goroutines of one context, is made and
// dropped each time. Raw makes and cancels the context too.
func BenchmarkGoPerRequest(b *testing.B) {
	perRequest := func(b *testing.B, ctx context.Context, start func(context.Context, func(context.Context))) {
		var wg sync.WaitGroup
		fn := func(context.Context) { wg.Done() }
		b.ReportAllocs()
		for b.Loop() {
			rctx, cancel := context.WithCancel(ctx)
			wg.Add(1)
			start(rctx, fn)
			wg.Wait()
			cancel()
		}
	}
	b.Run("raw", func(b *testing.B) { perRequest(b, context.Background(), rawGo) })
	b.Run("observe", func(b *testing.B) {
		tel := installOTel(sdktrace.ParentBased(sdktrace.NeverSample()), false)
		defer tel.uninstall()
		perRequest(b, tel.request(b, context.Background()), ownedGo)
	})
}

// BenchmarkGoTraced starts goroutines in a sampled trace: the parent span is
// sampled and spans are exported through a batch span processor to an
// exporter that discards them. Raw starts and ends a span by hand around a
// go statement on the same kind of provider.
func BenchmarkGoTraced(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("raw", func(b *testing.B) {
		tel := newOTel(sdktrace.ParentBased(sdktrace.AlwaysSample()), true)
		defer tel.shutdown()
		tracer := tel.tp.Tracer("bench")
		startAndWait(b, tel.request(b, ctx), func(ctx context.Context, fn func(context.Context)) {
			sctx, span := tracer.Start(ctx, "bench")
			go func() {
				defer span.End()
				fn(sctx)
			}()
		})
	})
	// The floor of any bridge that sets the span attributes the bridge sets
	// (nine: identity, parent, owner, chain, code location): raw, plus
	// those attributes, built per goroutine as the bridge builds them.
	b.Run("raw+attributes", func(b *testing.B) {
		tel := newOTel(sdktrace.ParentBased(sdktrace.AlwaysSample()), true)
		defer tel.shutdown()
		tracer := tel.tp.Tracer("bench")
		parent := &custody.Goroutine{ID: 1, Name: "request"}
		var id int64 = 1 << 20
		startAndWait(b, tel.request(b, ctx), func(ctx context.Context, fn func(context.Context)) {
			sctx, span := tracer.Start(ctx, "bench")
			id++
			g := &custody.Goroutine{ID: uint64(id), Name: "bench", Parent: parent}
			span.SetAttributes(
				attribute.Int64("custody.goroutine.id", id),
				attribute.String("custody.goroutine.name", "bench"),
				attribute.String("code.function.name", "safego_test.BenchmarkGoTraced"),
				attribute.String("code.file.path", "/src/safego/go_bench_test.go"),
				attribute.Int("code.line.number", 60),
				attribute.String("custody.goroutine.parent", parent.Name),
				attribute.Int64("custody.goroutine.parent_id", 1),
				attribute.String("custody.goroutine.owner", parent.Name),
				attribute.String("custody.goroutine.chain", g.Chain()),
			)
			go func() {
				defer span.End()
				fn(sctx)
			}()
		})
	})
	b.Run("observe", func(b *testing.B) {
		tel := installOTel(sdktrace.ParentBased(sdktrace.AlwaysSample()), true)
		defer tel.uninstall()
		startAndWait(b, tel.request(b, ctx), ownedGo)
	})
}

// BenchmarkGroup starts a group with WithContext, 100 members that return
// at once, and waits for them: with errgroup (raw) and with a Group in each
// mode, set up as BenchmarkGo's.
func BenchmarkGroup(b *testing.B) {
	const members = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g, gctx := errgroup.WithContext(ctx)
			for range members {
				g.Go(func() error { return gctx.Err() })
			}
			_ = g.Wait()
		}
	})
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx := ctx
			switch mode {
			case core.Observe:
				tel := installOTel(sdktrace.ParentBased(sdktrace.NeverSample()), false)
				defer tel.uninstall()
				ctx = tel.request(b, ctx)
			case core.Verify:
				ctx = oracle.Check(b)
			}
			b.ReportAllocs()
			for b.Loop() {
				g, _ := safego.WithContext(ctx, "bench")
				for range members {
					g.Go("member", func(ctx context.Context) error { return ctx.Err() })
				}
				_ = g.Wait()
			}
		})
	}
	// observe without the context watch, to isolate its cost: a zero Group's
	// members run with context.Background(), which is never done.
	b.Run("observe-unwatched", func(b *testing.B) {
		tel := installOTel(sdktrace.ParentBased(sdktrace.NeverSample()), false)
		defer tel.uninstall()
		b.ReportAllocs()
		for b.Loop() {
			var g safego.Group
			for range members {
				g.Go("member", func(ctx context.Context) error { return ctx.Err() })
			}
			_ = g.Wait()
		}
	})
}

// BenchmarkGoHeap parks 100,000 goroutines, started with a go statement
// (raw) or with Go in observe mode (set up as BenchmarkGo's), and reports
// the heap each retains (heap-B/goroutine, from runtime.MemStats before and
// after, the goroutines' stacks not included) and the goroutine stack
// memory (stack-B/goroutine). Its ns/op is not a measure of anything.
func BenchmarkGoHeap(b *testing.B) {
	const n = 100_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	park := func(b *testing.B, ctx context.Context, start func(context.Context, func(context.Context))) {
		var heap, stack float64
		parkN(n, ctx, rawGo) // the runtime keeps the goroutines' own structures for reuse
		for b.Loop() {
			release := make(chan struct{})
			var started, exited sync.WaitGroup
			started.Add(n)
			exited.Add(n)
			fn := func(context.Context) {
				started.Done()
				<-release
				exited.Done()
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range n {
				start(ctx, fn)
			}
			started.Wait()
			runtime.GC()
			runtime.ReadMemStats(&after)
			close(release)
			exited.Wait()
			heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
			stack += float64(after.StackInuse) - float64(before.StackInuse)
		}
		b.ReportMetric(heap/float64(b.N)/n, "heap-B/goroutine")
		b.ReportMetric(stack/float64(b.N)/n, "stack-B/goroutine")
	}
	b.Run("raw", func(b *testing.B) { park(b, ctx, rawGo) })
	b.Run("observe", func(b *testing.B) {
		tel := installOTel(sdktrace.ParentBased(sdktrace.NeverSample()), false)
		defer tel.uninstall()
		park(b, tel.request(b, ctx), ownedGo)
	})
}

// parkN starts n goroutines with start, and lets them exit once all have
// started.
func parkN(n int, ctx context.Context, start func(context.Context, func(context.Context))) {
	release := make(chan struct{})
	var started, exited sync.WaitGroup
	started.Add(n)
	exited.Add(n)
	for range n {
		start(ctx, func(context.Context) {
			started.Done()
			<-release
			exited.Done()
		})
	}
	started.Wait()
	close(release)
	exited.Wait()
}

// startAndWait has start run fn in a new goroutine, and waits for fn to
// return, once per iteration.
func startAndWait(b *testing.B, ctx context.Context, start func(context.Context, func(context.Context))) {
	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		start(ctx, fn)
		wg.Wait()
	}
}

func rawGo(ctx context.Context, fn func(context.Context)) { go fn(ctx) }

func ownedGo(ctx context.Context, fn func(context.Context)) { safego.Go(ctx, "bench", fn) }

// otelSDK is a benchmark's SDK providers: a TracerProvider with a sampler
// and, if exporting, a batch span processor to an exporter that discards,
// and a MeterProvider that aggregates for a manual reader.
type otelSDK struct {
	tp        *sdktrace.TracerProvider
	mp        *sdkmetric.MeterProvider
	uninstall func()
}

func newOTel(sampler sdktrace.Sampler, exporting bool) *otelSDK {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)}
	if exporting {
		opts = append(opts, sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	}
	return &otelSDK{
		tp: sdktrace.NewTracerProvider(opts...),
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
	}
}

// installOTel makes the providers and installs the bridge on them; its
// uninstall also shuts them down.
func installOTel(sampler sdktrace.Sampler, exporting bool) *otelSDK {
	tel := newOTel(sampler, exporting)
	restore := otelbridge.Install(otelbridge.WithTracerProvider(tel.tp), otelbridge.WithMeterProvider(tel.mp))
	tel.uninstall = func() {
		restore()
		tel.shutdown()
	}
	return tel
}

func (tel *otelSDK) shutdown() {
	_ = tel.tp.Shutdown(context.Background())
	_ = tel.mp.Shutdown(context.Background())
}

// request returns ctx carrying a request's span, sampled or not as the
// provider's sampler decides for a root span, ended when b ends.
func (tel *otelSDK) request(b *testing.B, ctx context.Context) context.Context {
	ctx, span := tel.tp.Tracer("bench").Start(ctx, "request", trace.WithSpanKind(trace.SpanKindServer))
	b.Cleanup(func() { span.End() })
	return ctx
}
