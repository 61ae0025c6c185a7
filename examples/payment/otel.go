package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/custody-go/custody/otelbridge"
)

// tracer starts a span for each run; the owned goroutines of the run are
// its children. It records nothing unless installTelemetry exports traces.
var tracer trace.Tracer = noop.NewTracerProvider().Tracer("")

// installTelemetry exports traces and metrics over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set: otelbridge, installed as custody's
// sink, makes each owned goroutine of a run a child span of the run's span
// (spans follow the trace) and counts what custody sees, and it keeps
// receiving events beside the oracle while a run is checked. The
// exporters read the other OTEL_EXPORTER_OTLP_* variables themselves, the
// periodic reader OTEL_METRIC_EXPORT_INTERVAL; OTEL_SERVICE_NAME defaults to
// custody-payment-demo. uninstall exports what is left.
func installTelemetry(ctx context.Context) (uninstall func(), err error) {
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	if endpoint == "" {
		return func() {}, nil
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "custody-payment-demo")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("payment: OpenTelemetry resource: %w", err)
	}
	spans, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("payment: OTLP trace exporter: %w", err)
	}
	metrics, err := otlpmetrichttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("payment: OTLP metric exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics)),
		sdkmetric.WithResource(res))
	tracer = tp.Tracer("github.com/custody-go/custody/examples/payment")
	remove := otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithMeterProvider(mp))
	fmt.Fprintf(os.Stderr, "custody demo: exporting traces and metrics to %s (OTEL_EXPORTER_OTLP_ENDPOINT)\n", endpoint)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Export the metrics once while the bridge is installed: its
		// uninstall stops reporting the count of running goroutines.
		if err := mp.ForceFlush(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "custody demo: exporting metrics: %v\n", err)
		}
		remove()
		tracer = noop.NewTracerProvider().Tracer("")
		if err := tp.Shutdown(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "custody demo: exporting traces: %v\n", err)
		}
		if err := mp.Shutdown(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "custody demo: exporting metrics: %v\n", err)
		}
	}, nil
}
