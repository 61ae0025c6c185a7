package otelbridge_test

import (
	"context"
	"errors"
	"log"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/otelbridge"
)

// telemetry is one test's recording providers, with the bridge installed on
// them for the duration of the test.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
}

func install(t *testing.T, opts ...otelbridge.Option) *telemetry {
	t.Helper()
	tel := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	opts = append([]otelbridge.Option{otelbridge.WithTracerProvider(tel.tp), otelbridge.WithMeterProvider(mp)}, opts...)
	t.Cleanup(otelbridge.Install(opts...))
	return tel
}

// spawn does what safego does around starting an owned goroutine: it makes
// the record, asks the sink for the goroutine's context and reports the
// spawn from the parent's context.
func spawn(ctx context.Context, name string) (context.Context, *custody.Goroutine) {
	g := spine.NewGoroutine(custody.FromContext(ctx), name, spine.Caller(1))
	gctx := spine.Start(core.Load(), spine.WithRecord(ctx, g), g)
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineSpawned, Goroutine: g, Site: g.Spawn})
	return gctx, g
}

// exit reports the return of the goroutine g running with ctx, latency
// after its context was done.
func exit(ctx context.Context, g *custody.Goroutine, latency time.Duration) {
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineExited, Goroutine: g, Latency: latency})
}

// ended returns the ended span named name, failing the test unless there is
// exactly one.
func (tel *telemetry) ended(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range tel.spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "ended spans named %q", name)
	return found[0]
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func event(t *testing.T, s sdktrace.ReadOnlySpan, name string) sdktrace.Event {
	t.Helper()
	for _, e := range s.Events() {
		if e.Name == name {
			return e
		}
	}
	require.Failf(t, "missing span event", "span %q has no event %q; it has %v", s.Name(), name, s.Events())
	return sdktrace.Event{}
}

func TestGoroutineSpan(t *testing.T) {
	tel := install(t)
	ctx, request := tel.tp.Tracer("test").Start(spine.WithRecord(t.Context(), spine.NewGoroutine(nil, "TestGoroutineSpan", 0)), "request")

	wctx, worker := spawn(ctx, "worker") // the spawn site checked below
	_, line := spawnLine(t)
	sctx, sub := spawn(wctx, "sub-worker")
	exit(sctx, sub, 0)
	exit(wctx, worker, 0)
	request.End()

	w := tel.ended(t, "worker")
	assert.Equal(t, request.SpanContext().SpanID(), w.Parent().SpanID(), "worker's parent span")
	assert.Equal(t, request.SpanContext().TraceID(), w.SpanContext().TraceID())
	assert.Equal(t, trace.SpanKindInternal, w.SpanKind())
	assert.Equal(t, codes.Unset, w.Status().Code)
	assert.Empty(t, w.Events())
	assert.Equal(t, otelbridge.ScopeName, w.InstrumentationScope().Name)
	assert.Equal(t, otelbridge.Version, w.InstrumentationScope().Version)
	assert.Equal(t, semconv.SchemaURL, w.InstrumentationScope().SchemaURL)

	attrs := attrMap(w.Attributes())
	assert.Equal(t, int64(worker.ID), attrs["custody.goroutine.id"].AsInt64())
	assert.Equal(t, "worker", attrs["custody.goroutine.name"].AsString())
	assert.Equal(t, "TestGoroutineSpan", attrs["custody.goroutine.parent"].AsString())
	assert.Equal(t, int64(worker.Parent.ID), attrs["custody.goroutine.parent_id"].AsInt64())
	assert.Equal(t, "TestGoroutineSpan", attrs["custody.goroutine.owner"].AsString())
	assert.Equal(t, "worker ← TestGoroutineSpan", attrs["custody.goroutine.chain"].AsString())
	assert.Equal(t, "github.com/custody-go/custody/otelbridge_test.TestGoroutineSpan",
		attrs[semconv.CodeFunctionNameKey].AsString())
	assert.Equal(t, "sink_test.go", filepath.Base(attrs[semconv.CodeFilePathKey].AsString()))
	assert.True(t, filepath.IsAbs(attrs[semconv.CodeFilePathKey].AsString()), "code.file.path is the full path")
	assert.Equal(t, int64(line-1), attrs[semconv.CodeLineNumberKey].AsInt64(), "the line of the spawn call")

	s := tel.ended(t, "sub-worker")
	assert.Equal(t, w.SpanContext().SpanID(), s.Parent().SpanID(), "sub-worker's parent span is worker's")
	sattrs := attrMap(s.Attributes())
	assert.Equal(t, "worker", sattrs["custody.goroutine.parent"].AsString())
	assert.Equal(t, "TestGoroutineSpan", sattrs["custody.goroutine.owner"].AsString())
	assert.Equal(t, "sub-worker ← worker ← TestGoroutineSpan", sattrs["custody.goroutine.chain"].AsString())
}

// spawnLine returns the line that calls it.
func spawnLine(t *testing.T) (string, int) {
	t.Helper()
	f := spine.Caller(1).Frame()
	return f.File, f.Line
}

func TestGoroutineSpanWithoutParent(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(context.Background(), "orphan")
	exit(ctx, g, 0)

	s := tel.ended(t, "orphan")
	assert.False(t, s.Parent().IsValid(), "a goroutine started without a span is a root span")
	attrs := attrMap(s.Attributes())
	assert.Equal(t, "orphan", attrs["custody.goroutine.name"].AsString())
	assert.NotContains(t, attrs, attribute.Key("custody.goroutine.parent"))
	assert.NotContains(t, attrs, attribute.Key("custody.goroutine.owner"))
}

func TestGoroutineSpanUsesEventTimes(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(t.Context(), "worker")
	end := time.Now().Add(time.Hour)
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineExited, Goroutine: g, Time: end})

	s := tel.ended(t, "worker")
	assert.True(t, s.EndTime().Equal(end), "EndTime() = %v, want %v", s.EndTime(), end)
}

func TestContextDoneAndCancelLatency(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(t.Context(), "worker")
	done := time.Now()
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineContextDone, Goroutine: g, Time: done, Err: context.Canceled})
	exit(ctx, g, 250*time.Millisecond)

	s := tel.ended(t, "worker")
	e := event(t, s, "custody.goroutine.context_done")
	assert.True(t, e.Time.Equal(done), "context_done event time = %v, want %v", e.Time, done)
	assert.Equal(t, "context canceled", attrMap(e.Attributes)["custody.context.error"].AsString())

	e = event(t, s, "custody.goroutine.exited")
	assert.InDelta(t, 0.25, attrMap(e.Attributes)["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)
	assert.InDelta(t, 0.25, attrMap(s.Attributes())["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)
}

func TestExitWithoutCancelHasNoLatency(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(t.Context(), "worker")
	exit(ctx, g, 0)

	s := tel.ended(t, "worker")
	assert.Empty(t, s.Events())
	assert.NotContains(t, attrMap(s.Attributes()), attribute.Key("custody.goroutine.cancel_latency"))
}

func TestIgnoredCancel(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(t.Context(), "stubborn")
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineIgnoredCancel, Goroutine: g, Latency: 2 * time.Second})
	exit(ctx, g, 3*time.Second)

	s := tel.ended(t, "stubborn")
	e := event(t, s, "custody.goroutine.ignored_cancel")
	assert.InDelta(t, 2.0, attrMap(e.Attributes)["custody.goroutine.cancel_latency"].AsFloat64(), 1e-9)
}

type paymentError struct{ order int }

func (e paymentError) Error() string { return "duplicate order" }

func TestPanicIsAnException(t *testing.T) {
	for _, tt := range []struct {
		value       any
		wantType    string
		wantMessage string
	}{
		{"boom", "string", "boom"},
		{paymentError{7}, "github.com/custody-go/custody/otelbridge_test.paymentError", "duplicate order"},
		{errors.New("wrapped"), "*errors.errorString", "wrapped"},
		{42, "int", "42"},
	} {
		t.Run(tt.wantType, func(t *testing.T) {
			tel := install(t, otelbridge.WithRootSpans())
			ctx, g := spawn(t.Context(), "panicky")
			stack := spine.Callers(0)
			spine.Emit(ctx, &custody.Event{Kind: custody.GoroutinePanicked, Goroutine: g, Value: tt.value, Stack: stack})
			exit(ctx, g, 0)

			s := tel.ended(t, "panicky")
			assert.Equal(t, codes.Error, s.Status().Code)
			assert.Equal(t, "panic: "+tt.wantMessage, s.Status().Description)
			assert.Equal(t, tt.wantType, attrMap(s.Attributes())[semconv.ErrorTypeKey].AsString())

			e := event(t, s, semconv.ExceptionEventName)
			attrs := attrMap(e.Attributes)
			assert.Equal(t, tt.wantType, attrs[semconv.ExceptionTypeKey].AsString())
			assert.Equal(t, tt.wantMessage, attrs[semconv.ExceptionMessageKey].AsString())
			assert.Equal(t, stack.String(), attrs[semconv.ExceptionStacktraceKey].AsString())
			assert.Contains(t, attrs[semconv.ExceptionStacktraceKey].AsString(), "otelbridge_test.TestPanicIsAnException")
		})
	}
}

func TestChannelEvents(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, owner := spawn(t.Context(), "producer")
	_, closer := spawn(ctx, "closer")
	made := spine.Caller(0)
	firstClose := spine.Caller(0)
	closedAt := time.Now()
	op := spine.Caller(0)
	_, opLine := spawnLine(t)

	events := []custody.Event{
		{Kind: custody.ChanClosed, Object: "results", Goroutine: owner, Owner: owner, Made: made, Site: op},
		{Kind: custody.ChanSendAfterClose, Object: "results", Goroutine: owner, Owner: owner, Made: made, Site: op,
			Earlier: &custody.Event{Kind: custody.ChanClosed, Site: firstClose, Goroutine: closer, Time: closedAt}, Time: closedAt.Add(3 * time.Millisecond)},
		{Kind: custody.ChanDoubleClose, Object: "results", Goroutine: owner, Owner: owner, Made: made, Site: op,
			Earlier: &custody.Event{Kind: custody.ChanClosed, Site: firstClose, Goroutine: closer, Time: closedAt}, Time: closedAt.Add(time.Second)},
		{Kind: custody.ChanCloseByNonOwner, Object: "results", Goroutine: closer, Owner: owner, Made: made, Site: op},
		{Kind: custody.ChanHandoff, Object: "results", Goroutine: owner, Owner: owner, NewOwner: closer, Made: made, Site: op},
	}
	for _, e := range events {
		spine.Emit(ctx, &e)
	}
	exit(ctx, owner, 0)

	s := tel.ended(t, "producer")
	require.Len(t, s.Events(), len(events))
	for i, e := range s.Events() {
		assert.Equal(t, "custody."+events[i].Kind.String(), e.Name)
		attrs := attrMap(e.Attributes)
		assert.Equal(t, "results", attrs["custody.chan.name"].AsString(), e.Name)
		assert.Equal(t, "producer", attrs["custody.chan.owner"].AsString(), e.Name)
		assert.Equal(t, made.String(), attrs["custody.chan.made_at"].AsString(), e.Name)
		assert.Equal(t, events[i].Goroutine.Name, attrs["custody.goroutine.name"].AsString(), e.Name)
		assert.Equal(t, int64(events[i].Goroutine.ID), attrs["custody.goroutine.id"].AsInt64(), e.Name)
		assert.Equal(t, int64(opLine-1), attrs[semconv.CodeLineNumberKey].AsInt64(), e.Name)
		assert.Equal(t, "github.com/custody-go/custody/otelbridge_test.TestChannelEvents",
			attrs[semconv.CodeFunctionNameKey].AsString(), e.Name)
		assert.Equal(t, "sink_test.go", filepath.Base(attrs[semconv.CodeFilePathKey].AsString()), e.Name)
		switch events[i].Kind {
		case custody.ChanSendAfterClose, custody.ChanDoubleClose:
			assert.Equal(t, "closer", attrs["custody.chan.closed_by"].AsString(), e.Name)
			assert.Equal(t, firstClose.String(), attrs["custody.chan.closed_at"].AsString(), e.Name)
			assert.InDelta(t, events[i].Time.Sub(closedAt).Seconds(), attrs["custody.chan.since_close"].AsFloat64(), 1e-9, e.Name)
			assert.True(t, e.Time.Equal(events[i].Time), "%s: time = %v, want %v", e.Name, e.Time, events[i].Time)
		case custody.ChanHandoff:
			assert.Equal(t, "closer", attrs["custody.chan.new_owner"].AsString())
		default:
			assert.NotContains(t, attrs, attribute.Key("custody.chan.closed_by"), e.Name)
		}
	}
}

func TestChannelEventOnRequestSpan(t *testing.T) {
	tel := install(t)
	ctx, request := tel.tp.Tracer("test").Start(t.Context(), "request")
	spine.Emit(ctx, &custody.Event{Kind: custody.ChanDoubleClose, Object: "results"})
	request.End()

	s := tel.ended(t, "request")
	e := event(t, s, "custody.chan.double_close")
	assert.Equal(t, "results", attrMap(e.Attributes)["custody.chan.name"].AsString())
	assert.NotContains(t, attrMap(e.Attributes), attribute.Key("custody.goroutine.name"), "no goroutine did it")
}

func TestMapEvents(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, g := spawn(t.Context(), "cache-filler")
	stored := spine.Caller(0)
	kinds := []custody.Kind{custody.MapZeroStored, custody.MapZeroLoaded, custody.MapMutatedAfterStore}
	for _, k := range kinds {
		spine.Emit(ctx, &custody.Event{Kind: k, Object: "user:42", Goroutine: g, Earlier: &custody.Event{Site: stored, Goroutine: g}, Site: spine.Caller(0)})
		// safemap has no context: no span, metrics only.
		spine.Emit(context.Background(), &custody.Event{Kind: k, Object: "user:43"})
	}
	exit(ctx, g, 0)

	s := tel.ended(t, "cache-filler")
	require.Len(t, s.Events(), len(kinds))
	for i, e := range s.Events() {
		assert.Equal(t, "custody."+kinds[i].String(), e.Name)
		attrs := attrMap(e.Attributes)
		assert.Equal(t, "user:42", attrs["custody.map.key"].AsString())
		assert.Equal(t, stored.String(), attrs["custody.map.stored_at"].AsString())
		assert.Equal(t, "cache-filler", attrs["custody.map.stored_by"].AsString())
		assert.Equal(t, "cache-filler", attrs["custody.goroutine.name"].AsString())
		assert.Equal(t, "github.com/custody-go/custody/otelbridge_test.TestMapEvents", attrs[semconv.CodeFunctionNameKey].AsString())
	}
	for _, s := range tel.spans.Ended() {
		for _, e := range s.Events() {
			assert.NotEqual(t, "user:43", attrMap(e.Attributes)["custody.map.key"].AsString(), "event without a span in its context")
		}
	}
}

// TestForeignSpanIsLeftAlone: an owned goroutine the bridge did not start a
// span for (it was started before Install) must not end or mark the span its
// context happens to carry.
func TestForeignSpanIsLeftAlone(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	ctx, request := tel.tp.Tracer("test").Start(t.Context(), "request")
	g := spine.NewGoroutine(nil, "early", spine.Caller(0))
	gctx := spine.WithRecord(ctx, g) // no GoroutineContext: started before Install

	spine.Emit(gctx, &custody.Event{Kind: custody.GoroutineContextDone, Goroutine: g, Err: context.Canceled})
	spine.Emit(gctx, &custody.Event{Kind: custody.GoroutinePanicked, Goroutine: g, Value: "boom"})
	exit(gctx, g, time.Millisecond)
	assert.Empty(t, tel.spans.Ended(), "the request span was ended by a goroutine's exit")

	request.End()
	s := tel.ended(t, "request")
	assert.Empty(t, s.Events())
	assert.Equal(t, codes.Unset, s.Status().Code)

	// A goroutine started inside an owned one, before Install, finds its
	// parent's span in its context: that one must be left alone too.
	pctx, parent := spawn(t.Context(), "parent")
	child := spine.NewGoroutine(parent, "child", spine.Caller(0))
	exit(spine.WithRecord(pctx, child), child, 0)
	for _, s := range tel.spans.Ended() {
		assert.NotEqual(t, "parent", s.Name(), "the parent's span was ended by its child's exit")
	}
	exit(pctx, parent, 0)
	tel.ended(t, "parent")
}

func TestNotRecordingBuildsNothing(t *testing.T) {
	tp := &countingProvider{}
	t.Cleanup(otelbridge.Install(otelbridge.WithTracerProvider(tp), otelbridge.WithRootSpans()))
	ctx, g := spawn(t.Context(), "worker")
	assert.True(t, trace.SpanContextFromContext(ctx).IsValid(), "the goroutine's context holds its span")
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineContextDone, Goroutine: g, Err: context.Canceled})
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutineIgnoredCancel, Goroutine: g, Latency: time.Second})
	spine.Emit(ctx, &custody.Event{Kind: custody.GoroutinePanicked, Goroutine: g, Value: "boom"})
	spine.Emit(ctx, &custody.Event{Kind: custody.ChanDoubleClose, Goroutine: g, Object: "c"})
	spine.Emit(ctx, &custody.Event{Kind: custody.MapZeroLoaded, Goroutine: g, Object: "k"})
	exit(ctx, g, time.Second)

	assert.Equal(t, 1, tp.started)
	assert.Zero(t, tp.calls, "calls on a span that is not recording")
}

// countingProvider makes spans that are not recording and counts every call
// that would set data on them.
type countingProvider struct {
	embedded.TracerProvider
	started, calls int
}

func (p *countingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return countingTracer{p: p}
}

type countingTracer struct {
	embedded.Tracer
	p *countingProvider
}

func (t countingTracer) Start(ctx context.Context, _ string, _ ...trace.SpanStartOption) (context.Context, trace.Span) {
	t.p.started++
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{byte(t.p.started)}})
	s := &countingSpan{Span: trace.SpanFromContext(trace.ContextWithSpanContext(ctx, sc)), p: t.p}
	return trace.ContextWithSpan(ctx, s), s
}

type countingSpan struct {
	trace.Span
	p *countingProvider
}

func (s *countingSpan) IsRecording() bool                       { return false }
func (s *countingSpan) SetAttributes(...attribute.KeyValue)     { s.p.calls++ }
func (s *countingSpan) AddEvent(string, ...trace.EventOption)   { s.p.calls++ }
func (s *countingSpan) RecordError(error, ...trace.EventOption) { s.p.calls++ }
func (s *countingSpan) SetStatus(codes.Code, string)            { s.p.calls++ }
func (s *countingSpan) End(...trace.SpanEndOption)              { s.p.calls++ }
func (s *countingSpan) SetName(string)                          { s.p.calls++ }
func (s *countingSpan) AddLink(trace.Link)                      { s.p.calls++ }

func TestModeAndCancelGrace(t *testing.T) {
	restore := otelbridge.Install()
	assert.Equal(t, core.Observe, spine.Mode())
	assert.Equal(t, core.DefaultGrace, spine.Grace(core.Load()))
	restore()
	assert.Equal(t, core.Off, spine.Mode(), "uninstall restores the sink that was there before")

	restore = otelbridge.Install(otelbridge.WithCancelGrace(5 * time.Second))
	assert.Equal(t, 5*time.Second, spine.Grace(core.Load()))
	restore()

	assert.PanicsWithValue(t, "otelbridge: WithCancelGrace(-1s): the grace must be positive", func() {
		otelbridge.WithCancelGrace(-time.Second)
	})
}

func TestNilContext(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	g := spine.NewGoroutine(nil, "nil-ctx", spine.Caller(0))
	sink := core.Load().Entries[0].Sink.(custody.Sink)
	// The sink must survive a wrapper passing a nil context.
	ctx := sink.(spine.Starter).StartGoroutine(nil, g)
	require.NotNil(t, ctx)
	sink.Emit(nil, custody.Event{Kind: custody.MapZeroLoaded})
	sink.Emit(ctx, custody.Event{Kind: custody.GoroutineExited, Goroutine: g})
	tel.ended(t, "nil-ctx")
}

func TestSpanNamesAreGoroutineNames(t *testing.T) {
	tel := install(t, otelbridge.WithRootSpans())
	for _, name := range []string{"a", "process-payment", strings.Repeat("x", 100)} {
		ctx, g := spawn(t.Context(), name)
		exit(ctx, g, 0)
		tel.ended(t, name)
	}
}

// flushCounter is a span processor that counts the ForceFlush calls that
// reach it, and fails them if err is set.
type flushCounter struct {
	sdktrace.SpanProcessor
	flushes atomic.Int32
	err     error
}

func (f *flushCounter) ForceFlush(context.Context) error {
	f.flushes.Add(1)
	return f.err
}

func TestFlush(t *testing.T) {
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })

	// Explicit providers.
	fc := &flushCounter{SpanProcessor: tracetest.NewSpanRecorder(), err: errors.New("collector down")}
	reader := sdkmetric.NewManualReader()
	uninstall := otelbridge.Install(
		otelbridge.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fc))),
		otelbridge.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	spine.Flush(core.Load(), t.Context())
	uninstall()
	assert.Equal(t, int32(1), fc.flushes.Load(), "the tracer provider's span processors are flushed")
	require.Len(t, handled, 1, "the failure is reported to otel.Handle")
	assert.ErrorContains(t, handled[0], "otelbridge: flushing *trace.TracerProvider: collector down")

	// The global providers, registered after the bridge was installed: the
	// bridge flushes the ones registered by then.
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	uninstall = otelbridge.Install()
	defer uninstall()
	spine.Flush(core.Load(), t.Context()) // nothing registered yet: nothing to flush
	global := &flushCounter{SpanProcessor: tracetest.NewSpanRecorder()}
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(global)))
	spine.Flush(core.Load(), t.Context())
	assert.Equal(t, int32(1), global.flushes.Load(), "the global provider is looked up at the flush")
}

// TestSpanAcrossUninstall: the span of a goroutine running when its bridge
// is uninstalled is never ended, not even by a bridge installed later, which
// neither ends nor counts what it did not start.
func TestSpanAcrossUninstall(t *testing.T) {
	first := tracetest.NewSpanRecorder()
	uninstall := otelbridge.Install(otelbridge.WithRootSpans(), otelbridge.WithTracerProvider(
		sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(first))))
	straddler, g := spawn(t.Context(), "straddler")
	uninstall()

	second := install(t, otelbridge.WithRootSpans())
	exit(straddler, g, 0)
	assert.Empty(t, first.Ended(), "the first bridge is gone")
	assert.Empty(t, second.spans.Ended(), "the second bridge started no span for it")
}

// TestFlushTheProviderInUse: a global SDK provider replaced after Install
// still gets the spans, so it is the one flushed.
func TestFlushTheProviderInUse(t *testing.T) {
	t.Cleanup(func() { otel.SetTracerProvider(tracenoop.NewTracerProvider()) })
	first := &flushCounter{SpanProcessor: tracetest.NewSpanRecorder()}
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(first)))
	defer otelbridge.Install()()
	second := &flushCounter{SpanProcessor: tracetest.NewSpanRecorder()}
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(second)))
	spine.Flush(core.Load(), t.Context())
	assert.Equal(t, int32(1), first.flushes.Load(), "the provider the spans go to is flushed")
	assert.Zero(t, second.flushes.Load())
}
