package otelbridge_test

import (
	"context"
	"fmt"
	"slices"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// A request handler starts two owned goroutines and closes a channel twice;
// the trace shows the goroutines as children of the request's span, and the
// second close as an event on it. A real program would give the
// TracerProvider an exporter (see the package documentation) instead of the
// recorder this example prints from.
func Example() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer otelbridge.Install(otelbridge.WithTracerProvider(tp))()

	ctx, request := tp.Tracer("example").Start(context.Background(), "GET /quote")
	g, _ := safego.WithContext(ctx, "quote")
	g.Go("fetch-price", func(ctx context.Context) error { return nil })
	g.Go("fetch-stock", func(ctx context.Context) error { return nil })
	_ = g.Wait() // members' spans end before Wait returns
	done := chanown.Make[struct{}](ctx, "done", 0)
	_ = done.Close(ctx)
	_ = done.Close(ctx) // a second close: an error, and a span event
	request.End()

	names := map[trace.SpanID]string{}
	for _, s := range spans.Ended() {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var lines []string
	for _, s := range spans.Ended() {
		line := s.Name()
		if parent, ok := names[s.Parent().SpanID()]; ok {
			line += " (child of " + parent + ")"
		}
		for _, e := range s.Events() {
			line += ", event " + e.Name
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// GET /quote, event custody.chan.closed, event custody.chan.double_close
	// fetch-price (child of GET /quote)
	// fetch-stock (child of GET /quote)
}

// With WithRootSpans a goroutine started outside any trace still gets a
// span, a root span, if the sampler keeps it; without it, it gets none.
func ExampleWithRootSpans() {
	for _, opts := range [][]otelbridge.Option{nil, {otelbridge.WithRootSpans()}} {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		uninstall := otelbridge.Install(append(opts, otelbridge.WithTracerProvider(tp))...)
		done := make(chan struct{})
		safego.Go(context.Background(), "cleanup", func(ctx context.Context) { close(done) })
		<-done
		uninstall() // waits for the goroutine's exit, which ends its span
		fmt.Println(len(opts), "options:", len(spans.Ended()), "span")
	}
	// Output:
	// 0 options: 0 span
	// 1 options: 1 span
}
