package otelbridge_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// TestBlockingOperationsEnd walks what in the bridge can wait: its
// uninstall waits for goroutines still running for at most 100ms, and
// Flush for as long as its context lets the providers' ForceFlush.
func TestBlockingOperationsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		uninstall := otelbridge.Install()
		release := make(chan struct{})
		safego.Go(t.Context(), "still-running", func(context.Context) { <-release })
		start := time.Now()
		uninstall()
		waited := time.Since(start)
		assert.GreaterOrEqual(t, waited, core.DefaultDrain, "uninstall waits for a running goroutine")
		assert.Less(t, waited, core.DefaultDrain+10*time.Millisecond, "up to the drain, then gives up on it")
		close(release)
	})
	synctest.Test(t, func(t *testing.T) {
		stuck := &stuckExporter{}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(stuck))
		defer otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithRootSpans())()
		ctx, request := tp.Tracer("test").Start(t.Context(), "request")
		request.End() // something to export
		flushCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start := time.Now()
		spine.Flush(core.Load(), flushCtx)
		assert.Equal(t, time.Second, time.Since(start), "Flush returns when its context is done")
		shutdown, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_ = tp.Shutdown(shutdown)
	})
}

// stuckExporter is an exporter whose export waits until its context is
// done, as one whose collector does not answer.
type stuckExporter struct{ tracetest.NoopExporter }

func (*stuckExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestBadInput walks the bad inputs of the package's API: each panics with
// a message that starts with "otelbridge:". (Nil providers and nil options
// are not bad input: they choose the defaults.)
func TestBadInput(t *testing.T) {
	for _, tt := range []struct {
		name string
		call func()
		want string
	}{
		{"zero grace", func() { otelbridge.WithCancelGrace(0) }, "otelbridge: WithCancelGrace(0s): the grace must be positive"},
		{"negative grace", func() { otelbridge.WithCancelGrace(-time.Second) }, "otelbridge: WithCancelGrace(-1s): the grace must be positive"},
	} {
		assert.PanicsWithValue(t, tt.want, tt.call, tt.name)
	}
}
