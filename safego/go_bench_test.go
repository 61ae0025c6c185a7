package safego_test

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// BenchmarkGo starts a goroutine and waits for it to exit, with a go
// statement (raw) and with Go in each mode. The context is cancelable, as a
// request's is, so observe and verify pay for the context watch. Observe
// runs with the OpenTelemetry bridge installed on SDK providers, as in
// production: a TracerProvider that samples nothing and a MeterProvider
// whose instruments aggregate for a manual reader. Verify runs the oracle.
func BenchmarkGo(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("raw", func(b *testing.B) { startAndWait(b, ctx, rawGo) })
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx := ctx
			switch mode {
			case core.Observe:
				defer installOTel(sdktrace.NeverSample(), false)()
			case core.Verify:
				// The real oracle, with the benchmark as the checked test:
				// its verdict at the end also proves nothing leaked.
				ctx = oracle.Check(b)
			}
			startAndWait(b, ctx, ownedGo)
		})
	}
}

// BenchmarkGoTraced is BenchmarkGo's observe with every goroutine's span
// sampled and exported through a batch span processor to an exporter that
// discards them: the cost of a goroutine in a sampled trace.
func BenchmarkGoTraced(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("raw", func(b *testing.B) { startAndWait(b, ctx, rawGo) })
	b.Run("observe", func(b *testing.B) {
		defer installOTel(sdktrace.AlwaysSample(), true)()
		startAndWait(b, ctx, ownedGo)
	})
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

// installOTel installs the OpenTelemetry bridge on SDK providers: a
// TracerProvider with sampler and, if exporting, a batch span processor to
// an exporter that discards, and a MeterProvider that aggregates for a
// manual reader. It returns the uninstall, which also shuts the providers
// down.
func installOTel(sampler sdktrace.Sampler, exporting bool) (uninstall func()) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)}
	if exporting {
		opts = append(opts, sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	restore := otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithMeterProvider(mp))
	return func() {
		restore()
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	}
}

// BenchmarkGoObserveFloor measures what any observe-mode Go must pay under
// DESIGN.md's contract before custody does anything of its own: a span
// started and ended on an SDK TracerProvider that samples nothing (span),
// plus pprof labels with the goroutine's id and name (span+labels), plus
// the clock reads for its start and exit times (span+labels+clock); and, in
// the same run, the real thing (observe, as in BenchmarkGo). The gap between
// the last two is custody's own cost: the record, the spawn site, the
// context watch and the events.
//
//	go test -run '^$' -bench GoObserveFloor -count 6 ./safego
func BenchmarkGoObserveFloor(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("bench")
	var id uint64 = 1 << 20 // a realistic id: its string does not fit in a byte

	b.Run("raw", func(b *testing.B) { startAndWait(b, ctx, rawGo) })
	for _, part := range []struct {
		name          string
		labels, clock bool
	}{{"span", false, false}, {"span+labels", true, false}, {"span+labels+clock", true, true}} {
		b.Run(part.name, func(b *testing.B) {
			startAndWait(b, ctx, func(ctx context.Context, fn func(context.Context)) {
				var start time.Time
				if part.clock {
					start = time.Now()
				}
				sctx, span := tracer.Start(ctx, "bench")
				if part.labels {
					id++
					sctx = pprof.WithLabels(sctx, pprof.Labels(
						core.LabelID, strconv.FormatUint(id, 10), core.LabelName, "bench"))
				}
				go func() {
					if part.labels {
						pprof.SetGoroutineLabels(sctx)
					}
					fn(sctx)
					if part.clock && time.Since(start) < 0 {
						b.Error("the clock went backwards")
					}
					span.End()
				}()
			})
		})
	}
	b.Run("observe", func(b *testing.B) {
		defer installOTel(sdktrace.NeverSample(), false)()
		startAndWait(b, ctx, ownedGo)
	})
}
