package otelbridge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/otelbridge"
)

// TestGlobalProviders: without options, or with nil providers, the bridge
// uses the global providers, and it never sets them.
func TestGlobalProviders(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	tp, mp := otel.GetTracerProvider(), otel.GetMeterProvider()

	for _, opts := range [][]otelbridge.Option{
		{otelbridge.WithRootSpans()},
		{otelbridge.WithTracerProvider(nil), otelbridge.WithMeterProvider(nil), nil, otelbridge.WithRootSpans()},
	} {
		uninstall := otelbridge.Install(opts...)
		ctx, g := spawn(t.Context(), "worker")
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(t.Context(), &rm))
		require.Len(t, rm.ScopeMetrics, 1)
		assert.Equal(t, otelbridge.ScopeName, rm.ScopeMetrics[0].Scope.Name)
		exit(ctx, g, 0)
		uninstall()
	}
	assert.Len(t, spans.Ended(), 2)
	assert.Equal(t, tp, otel.GetTracerProvider(), "the global tracer provider was set")
	assert.Equal(t, mp, otel.GetMeterProvider(), "the global meter provider was set")
}

func TestGoroutineContextString(t *testing.T) {
	install(t, otelbridge.WithRootSpans())
	g := spine.NewGoroutine(nil, "worker", spine.Caller(0))
	ctx := spine.Start(core.Load(), t.Context(), g)
	assert.Contains(t, ctx.(interface{ String() string }).String(), `.WithValue(otelbridge, "worker" (custody `)
}

// mapMeterProvider is a provider of a type that == cannot compare.
type mapMeterProvider struct {
	metricnoop.MeterProvider
	meters map[string]metric.Meter
}

func TestGlobalProviderOfIncomparableType(t *testing.T) {
	otel.SetMeterProvider(mapMeterProvider{meters: map[string]metric.Meter{}})
	t.Cleanup(func() { otel.SetMeterProvider(metricnoop.NewMeterProvider()) })
	require.NotPanics(t, func() { otelbridge.Install()() })
	require.NotPanics(t, func() { otelbridge.Install(otelbridge.WithMeterProvider(mapMeterProvider{}))() })
}
