package otelbridge_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/custody-go/custody/otelbridge"
	"github.com/custody-go/custody/safego"
)

// TestSpansFollowTheTrace drives safego.Go under each kind of parent, with
// and without WithRootSpans, and counts the goroutine spans the provider
// ends: a recording parent gets a child; an unsampled parent, or none, gets
// no span; with WithRootSpans the sampler decides.
func TestSpansFollowTheTrace(t *testing.T) {
	for _, tt := range []struct {
		name      string
		sampler   sdktrace.Sampler
		parent    bool // the goroutine's context holds a request span
		rootSpans bool
		want      int // goroutine spans
	}{
		{"recording parent", sdktrace.ParentBased(sdktrace.AlwaysSample()), true, false, 1},
		{"unsampled parent", sdktrace.ParentBased(sdktrace.NeverSample()), true, false, 0},
		{"no parent", sdktrace.AlwaysSample(), false, false, 0},
		{"root spans, sampled", sdktrace.AlwaysSample(), false, true, 1},
		{"root spans, not sampled", sdktrace.NeverSample(), false, true, 0},
		{"root spans, unsampled parent", sdktrace.ParentBased(sdktrace.NeverSample()), true, true, 0},
		{"root spans, recording parent", sdktrace.ParentBased(sdktrace.AlwaysSample()), true, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(tt.sampler), sdktrace.WithSpanProcessor(spans))
			opts := []otelbridge.Option{otelbridge.WithTracerProvider(tp)}
			if tt.rootSpans {
				opts = append(opts, otelbridge.WithRootSpans())
			}
			uninstall := otelbridge.Install(opts...)
			ctx := t.Context()
			if tt.parent {
				var request trace.Span
				ctx, request = startRequest(tp, ctx)
				defer request.End()
			}
			seen := make(chan trace.SpanContext, 1)
			safego.Go(ctx, "worker", func(ctx context.Context) { seen <- trace.SpanContextFromContext(ctx) })
			inside, parent := <-seen, trace.SpanContextFromContext(ctx)
			if !tt.rootSpans && tt.want == 0 {
				assert.Equal(t, parent.SpanID(), inside.SpanID(), "no span started, even one not recording")
			}
			uninstall() // waits for the exit, which ends the span
			var got []sdktrace.ReadOnlySpan
			for _, s := range spans.Ended() {
				if s.Name() == "worker" {
					got = append(got, s)
				}
			}
			require.Len(t, got, tt.want)
			if tt.want == 1 && tt.parent {
				assert.True(t, got[0].Parent().IsValid(), "a child of the request")
			}
		})
	}
}

// TestGroupMemberErrorIsSpanError: a member that returns an error ends its
// span with status Error and the error recorded, as otel's instrumentations
// do; a member that returns nil leaves the status unset.
func TestGroupMemberErrorIsSpanError(t *testing.T) {
	tel := install(t)
	ctx, request := tel.tp.Tracer("test").Start(t.Context(), "request")
	defer request.End()
	errDeclined := errors.New("card declined")
	g, _ := safego.WithContext(ctx, "checkout")
	g.Go("charge", func(context.Context) error { return errDeclined })
	g.Go("reserve", func(context.Context) error { return nil })
	require.ErrorIs(t, g.Wait(), errDeclined)

	charge := tel.ended(t, "charge")
	assert.Equal(t, codes.Error, charge.Status().Code)
	assert.Equal(t, "card declined", charge.Status().Description)
	e := attrMap(event(t, charge, semconv.ExceptionEventName).Attributes)
	assert.Equal(t, "card declined", e[semconv.ExceptionMessageKey].AsString())
	assert.Equal(t, codes.Unset, tel.ended(t, "reserve").Status().Code)
}

// startRequest starts a server span, as a request handler's
// instrumentation would.
func startRequest(tp trace.TracerProvider, ctx context.Context) (context.Context, trace.Span) {
	return tp.Tracer("test").Start(ctx, "request", trace.WithSpanKind(trace.SpanKindServer))
}
