package harness

import (
	"context"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/custody-go/custody/otelbridge"
)

// OTel is a production service's OpenTelemetry set-up: SDK providers, a
// request span to start goroutines under, and the bridge installed on them.
type OTel struct {
	TP *sdktrace.TracerProvider
	MP *sdkmetric.MeterProvider
}

// NewOTel returns SDK providers. With sampled false the TracerProvider
// samples with ParentBased(NeverSample) and has no span processor, as a
// service whose trace is not sampled; with sampled true it samples with
// ParentBased(AlwaysSample) and sends spans through a batch span processor
// to an exporter that discards them. The MeterProvider aggregates for a
// manual reader, which nothing reads.
func NewOTel(sampled bool) *OTel {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample()))}
	if sampled {
		opts = []sdktrace.TracerProviderOption{
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
			sdktrace.WithBatcher(tracetest.NewNoopExporter()),
		}
	}
	return &OTel{
		TP: sdktrace.NewTracerProvider(opts...),
		MP: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
	}
}

// Request returns ctx with a span named "request" started on o's
// TracerProvider: unsampled or sampled, as o samples. The span's end is
// returned.
func (o *OTel) Request(ctx context.Context) (context.Context, func()) {
	ctx, span := o.TP.Tracer("bench").Start(ctx, "request")
	return ctx, func() { span.End() }
}

// Tracer returns a tracer of o's TracerProvider, for spans made by hand.
func (o *OTel) Tracer() trace.Tracer { return o.TP.Tracer("bench") }

// Install puts custody in observe mode with otelbridge on o's providers. It
// returns the uninstall.
func (o *OTel) Install() (uninstall func()) {
	return otelbridge.Install(otelbridge.WithTracerProvider(o.TP), otelbridge.WithMeterProvider(o.MP))
}

// Shutdown shuts the providers down.
func (o *OTel) Shutdown() {
	_ = o.TP.Shutdown(context.Background())
	_ = o.MP.Shutdown(context.Background())
}
