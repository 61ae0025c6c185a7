package otelbridge_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

type countSink struct {
	mu sync.Mutex
	n  int
}

func (s *countSink) Emit(context.Context, custody.Event) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
}

// An uninstall called twice must not remove a sink installed since.
func TestUninstallTwice(t *testing.T) {
	un := otelbridge.Install()
	un()
	s := &countSink{}
	defer custody.Install(s)()
	un()
	chanown.Make[int](t.Context(), "c", 0)
	assert.Equal(t, 1, s.n, "the sink installed after the first uninstall still receives events")
}

// Workers that a service waits for with a WaitGroup have returned, but may
// not have reported their exit yet, when the service uninstalls the bridge:
// the uninstall waits for them, so that their spans end. In a bubble, the
// uninstall's 100ms run out only once every worker is blocked or gone: on a
// loaded machine under -race, real time ran out first (0 of 20 spans, once
// in 20 runs of the suite).
func TestUninstallEndsReturnedGoroutinesSpans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for round := range 50 {
			spans := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
			uninstall := otelbridge.Install(otelbridge.WithTracerProvider(tp))
			ctx, request := tp.Tracer("test").Start(t.Context(), "request")
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				safego.Go(ctx, "worker", func(context.Context) { defer wg.Done() })
			}
			wg.Wait()
			uninstall()
			request.End()
			n := 0
			for _, s := range spans.Ended() {
				if s.Name() == "worker" {
					n++
				}
			}
			require.Equal(t, 20, n, "round %d: every worker's span ended", round)
		}
	})
}
