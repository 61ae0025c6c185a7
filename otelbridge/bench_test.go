package otelbridge_test

import (
	"context"
	"sync"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// benchGo starts a goroutine and waits for it to exit, with a go statement
// (raw) or with safego.Go, as safego's BenchmarkGo does. install, if not
// nil, installs a sink for the run and returns its uninstall.
func benchGo(b *testing.B, raw bool, install func() func()) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }
	if install != nil {
		defer install()()
	}
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		if raw {
			go fn(ctx)
		} else {
			safego.Go(ctx, "bench", fn)
		}
		wg.Wait()
	}
}

// installSDK installs the bridge on real SDK providers: a TracerProvider with
// sampler and, if exporting, a batch processor to an exporter that discards,
// and a MeterProvider that aggregates for a manual reader. It returns the
// uninstall, which also shuts the providers down.
func installSDK(sampler sdktrace.Sampler, exporting bool) func() func() {
	return func() func() {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)}
		if exporting {
			opts = append(opts, sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		uninstall := otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithMeterProvider(mp))
		return func() {
			uninstall()
			_ = tp.Shutdown(context.Background())
			_ = mp.Shutdown(context.Background())
		}
	}
}

// BenchmarkGoTraced measures safego.Go with the bridge installed on an SDK
// TracerProvider that samples nothing (observe), against a go statement
// (raw) and custody off (off): the cost of observe mode in production,
// where most traces are not sampled.
func BenchmarkGoTraced(b *testing.B) {
	b.Run("raw", func(b *testing.B) { benchGo(b, true, nil) })
	b.Run("off", func(b *testing.B) {
		if custody.Active() != custody.Off {
			b.Fatal("custody is not off")
		}
		benchGo(b, false, nil)
	})
	b.Run("observe", func(b *testing.B) { benchGo(b, false, installSDK(sdktrace.NeverSample(), false)) })
}

// BenchmarkGoTracedSampled is BenchmarkGoTraced with every goroutine's span
// sampled, built with its attributes and exported through a batch processor
// (to an exporter that discards): the cost when a trace is sampled.
func BenchmarkGoTracedSampled(b *testing.B) {
	b.Run("raw", func(b *testing.B) { benchGo(b, true, nil) })
	b.Run("observe", func(b *testing.B) { benchGo(b, false, installSDK(sdktrace.AlwaysSample(), true)) })
}

// BenchmarkChanEvent measures the bridge's handling of a fault event on a
// channel (a send after close) whose context holds an unsampled span, the
// common production case: a counter increment.
func BenchmarkChanEvent(b *testing.B) {
	defer installSDK(sdktrace.NeverSample(), false)()()
	ctx, span := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())).Tracer("bench").Start(context.Background(), "request")
	defer span.End()
	e := custody.Event{Kind: custody.ChanSendAfterClose, Object: "results"}
	b.ReportAllocs()
	for b.Loop() {
		custody.Emit(ctx, e)
	}
}
