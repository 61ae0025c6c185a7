package otelbridge_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/otelbridge"
)

// The cost of safego.Go with the bridge, against a go statement, is
// measured by safego's BenchmarkGo (observe: an SDK TracerProvider that
// samples nothing) and BenchmarkGoTraced (every span sampled and exported
// through a batch processor). BenchmarkSink measures the bridge alone: what
// it adds to each owned goroutine and to each fault event.
func BenchmarkSink(b *testing.B) {
	g := spine.NewGoroutine(nil, "bench", spine.Caller(0))
	goroutine := func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			gctx := spine.Start(core.Load(), ctx, g)
			spine.Emit(gctx, &custody.Event{Kind: custody.GoroutineExited, Goroutine: g})
		}
	}
	b.Run("goroutine", func(b *testing.B) {
		defer installSDK(sdktrace.NeverSample(), false)()
		goroutine(b)
	})
	b.Run("goroutine-sampled", func(b *testing.B) {
		defer installSDK(sdktrace.AlwaysSample(), true)()
		goroutine(b)
	})
	fault := func(e custody.Event) func(b *testing.B) {
		return func(b *testing.B) {
			defer installSDK(sdktrace.NeverSample(), false)()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
			ctx, span := tp.Tracer("bench").Start(context.Background(), "request")
			defer span.End()
			b.ReportAllocs()
			for b.Loop() {
				spine.Emit(ctx, &e)
			}
		}
	}
	b.Run("chan-fault", fault(custody.Event{Kind: custody.ChanSendAfterClose, Object: "results"}))
	b.Run("map-fault", fault(custody.Event{Kind: custody.MapZeroLoaded, Object: "k"}))
}

// installSDK installs the bridge on SDK providers: a TracerProvider with
// sampler and, if exporting, a batch processor to an exporter that
// discards, and a MeterProvider that aggregates for a manual reader. It
// returns the uninstall, which also shuts the providers down.
func installSDK(sampler sdktrace.Sampler, exporting bool) (uninstall func()) {
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
