package otelbridge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// Install installs the OpenTelemetry sink, putting custody in observe mode
// beside any sink already installed, and returns a function that removes
// it and stops reporting the goroutine count. The uninstall waits up to
// 100ms for goroutines that have returned to report their exit, so that
// their spans end; the span of one still running is never ended. Owned
// goroutines started before Install get no span and are not counted.
func Install(opts ...Option) (uninstall func()) {
	s := newSink(opts...)
	leaks := startLeakDetection(s.meterProvider, s.leakInterval)
	remove := spine.Install(s, core.Observe, core.DefaultDrain)
	var once sync.Once
	return func() {
		once.Do(func() {
			leaks.shutdown()
			remove()
			s.unregister()
		})
	}
}

func newSink(opts ...Option) *sink {
	c := newConfig(opts...)
	s := &sink{
		tracer: c.tracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version),
			trace.WithSchemaURL(semconv.SchemaURL)),
		grace:         c.cancelGrace,
		rootSpans:     c.rootSpans,
		goroutineOpts: newOptsCache(goroutineNameKey),
		chanOpts:      newOptsCache(chanNameKey),
	}
	s.key = spine.LocalKey{Sink: s}
	s.inst, s.countReg = newInstruments(c.meterProvider.Meter(ScopeName,
		metric.WithInstrumentationVersion(Version),
		metric.WithSchemaURL(semconv.SchemaURL)), s.goroutineOpts)
	s.tracerProvider, s.meterProvider = c.tracerProvider, c.meterProvider
	s.leakInterval = c.leakInterval
	return s
}

type sink struct {
	tracer        trace.Tracer
	inst          *instruments
	countReg      metric.Registration // the goroutine count's callback; nil if refused
	grace         time.Duration
	rootSpans     bool       // a span for every goroutine, as the sampler decides
	key           any        // spine.LocalKey{s}, boxed once: the context key of its owned layers
	goroutineOpts *optsCache // by goroutine name
	chanOpts      *optsCache // by channel name

	// The providers, for Flush.
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider

	leakInterval time.Duration // WithLeakDetection's; 0 without
}

// A forceFlusher is a provider that can export what it holds now, as the
// SDK's TracerProvider and MeterProvider can.
type forceFlusher interface {
	ForceFlush(context.Context) error
}

// owned is what the bridge keeps for an owned goroutine that has a span: its
// record, its span and its measurement options. It is also the outermost
// layer of the context the goroutine runs with, wrapping the context that
// holds the span, so that the state and the layer that carries it are one
// allocation.
type owned struct {
	context.Context // holds span

	s    *sink
	g    *custody.Goroutine
	span trace.Span
	opts *measureOpts
}

// Value returns o for its sink's key, and asks the context it wraps for any
// other. It tests the key's type rather than comparing interfaces, which
// would call into the runtime: ownedFrom runs at the end of every owned
// goroutine, on a stack with little room left.
func (o *owned) Value(key any) any {
	if k, ok := key.(spine.LocalKey); ok && k.Sink == any(o.s) {
		return o
	}
	return o.Context.Value(key)
}

// String describes the context as the context package's own do.
func (o *owned) String() string { return spine.ContextString(o.Context, "otelbridge", o.g) }

// ownedFrom returns what StartGoroutine stored in ctx for g, or nil when it
// started no span for g.
func (s *sink) ownedFrom(ctx context.Context, g *custody.Goroutine) *owned {
	if g == nil {
		return nil
	}
	o, _ := ctx.Value(s.key).(*owned)
	if o == nil || o.g != g {
		return nil
	}
	return o
}

// unregister stops the observation of the goroutine count, so that a bridge
// installed later on the same MeterProvider reports it alone.
func (s *sink) unregister() {
	if s.countReg == nil {
		return
	}
	if err := s.countReg.Unregister(); err != nil {
		otel.Handle(fmt.Errorf("otelbridge: unregistering the goroutine count: %w", err))
	}
}

// CancelGrace returns the grace chosen with [WithCancelGrace], or 0 for
// custody's default of one second.
func (s *sink) CancelGrace() time.Duration { return s.grace }

// StartGoroutine counts the owned goroutine g as running and, if the span
// in ctx is recording (or, with WithRootSpans, whatever ctx holds), starts
// g's span as its child and returns ctx with the span in it; otherwise it
// returns ctx as it is. safego calls it before it starts g.
func (s *sink) StartGoroutine(ctx context.Context, g *custody.Goroutine) context.Context {
	if g == nil {
		return ctx
	}
	if ctx == nil {
		ctx = context.Background()
	}
	opts := s.goroutineOpts.get(g.Name)
	opts.live.Add(1)
	if !s.rootSpans && !trace.SpanFromContext(ctx).IsRecording() {
		return ctx // no span: the trace is not recorded, or there is none
	}
	ctx, span := s.tracer.Start(ctx, g.Name)
	if span.IsRecording() {
		span.SetAttributes(goroutineAttrs(g)...)
	}
	return &owned{Context: ctx, s: s, g: g, span: span, opts: opts}
}

// GoroutineFailed records err, which the owned goroutine g returned, on its
// span, and sets the span's status to Error.
func (s *sink) GoroutineFailed(ctx context.Context, g *custody.Goroutine, err error) {
	o := s.ownedFrom(ctx, g)
	if o == nil || !o.span.IsRecording() {
		return
	}
	o.span.RecordError(err)
	o.span.SetStatus(codes.Error, err.Error())
}

// Emit turns e into span events and measurements. ctx is the operation's
// context: for goroutine kinds the owned goroutine's own, which holds its
// span.
func (s *sink) Emit(ctx context.Context, e custody.Event) { s.EmitEvent(ctx, &e) }

// EmitEvent is Emit, with the event by pointer: spine delivers that way.
func (s *sink) EmitEvent(ctx context.Context, e *custody.Event) {
	if ctx == nil {
		ctx = context.Background()
	}
	switch e.Kind {
	case custody.GoroutineContextDone:
		s.contextDone(ctx, e)
	case custody.GoroutineIgnoredCancel:
		s.ignoredCancel(ctx, e)
	case custody.GoroutinePanicked:
		s.panicked(ctx, e)
	case custody.GoroutineExited:
		s.exited(ctx, e)
	case custody.ChanClosed, custody.ChanHandoff:
		s.chanEvent(ctx, e, nil)
	case custody.ChanSendAfterClose:
		s.chanEvent(ctx, e, s.inst.sendsAfterClose)
	case custody.ChanDoubleClose:
		s.chanEvent(ctx, e, s.inst.doubleCloses)
	case custody.ChanCloseByNonOwner:
		s.chanEvent(ctx, e, s.inst.nonOwnerCloses)
	case custody.MapZeroStored:
		s.mapEvent(ctx, e, nil)
	case custody.MapZeroLoaded:
		s.mapEvent(ctx, e, s.inst.zeroLoads)
	case custody.MapMutatedAfterStore:
		s.mapEvent(ctx, e, s.inst.mutationsAfterStore)
	}
}

// goroutineOptsFor returns the measurement options of the goroutine an
// event is about.
func (s *sink) goroutineOptsFor(o *owned, g *custody.Goroutine) []metric.AddOption {
	if o != nil {
		return o.opts.add
	}
	if g != nil {
		return s.goroutineOpts.get(g.Name).add
	}
	return nil
}

func (s *sink) contextDone(ctx context.Context, e *custody.Event) {
	o := s.ownedFrom(ctx, e.Goroutine)
	if o == nil || !o.span.IsRecording() {
		return
	}
	var msg string
	if e.Err != nil {
		msg = e.Err.Error()
	}
	o.span.AddEvent(eventNames[e.Kind], trace.WithTimestamp(e.Time),
		trace.WithAttributes(contextErrorKey.String(msg)))
}

func (s *sink) ignoredCancel(ctx context.Context, e *custody.Event) {
	o := s.ownedFrom(ctx, e.Goroutine)
	s.inst.ignoredCancels.Add(ctx, 1, s.goroutineOptsFor(o, e.Goroutine)...)
	if o == nil || !o.span.IsRecording() {
		return
	}
	o.span.AddEvent(eventNames[e.Kind], trace.WithTimestamp(e.Time),
		trace.WithAttributes(cancelLatencyKey.Float64(seconds(e.Latency))))
}

func (s *sink) panicked(ctx context.Context, e *custody.Event) {
	o := s.ownedFrom(ctx, e.Goroutine)
	s.inst.panics.Add(ctx, 1, s.goroutineOptsFor(o, e.Goroutine)...)
	if o == nil || !o.span.IsRecording() {
		return
	}
	// The exception event span.RecordError would add, but with the panic's
	// type and stack rather than a wrapper's type and the sink's stack.
	o.span.AddEvent(semconv.ExceptionEventName, trace.WithTimestamp(e.Time),
		trace.WithAttributes(exceptionAttrs(e)...))
	o.span.SetAttributes(semconv.ErrorTypeKey.String(typeName(e.Value)))
	o.span.SetStatus(codes.Error, "panic: "+panicMessage(e.Value))
}

// exited is called at the end of every owned goroutine, whose stack is
// often still the initial one: its frame and those below it are kept small,
// the rare work out of line, so that the stack need not grow to report the
// exit.
func (s *sink) exited(ctx context.Context, e *custody.Event) {
	o := s.ownedFrom(ctx, e.Goroutine)
	if e.Latency > 0 || e.Err != nil {
		s.cancelled(ctx, o, e)
	}
	if o == nil {
		if e.Goroutine != nil {
			s.goroutineOpts.get(e.Goroutine.Name).live.Add(-1)
		}
		return
	}
	o.opts.live.Add(-1)
	if o.span.IsRecording() {
		endSpan(o.span, e)
	}
}

// cancelled records the latency of the exit of a goroutine whose context was
// done.
//
//go:noinline
func (s *sink) cancelled(ctx context.Context, o *owned, e *custody.Event) {
	var opts []metric.RecordOption
	if o != nil {
		opts = o.opts.record
	} else if e.Goroutine != nil {
		opts = s.goroutineOpts.get(e.Goroutine.Name).record
	}
	s.inst.cancelDuration.Record(ctx, seconds(e.Latency), opts...)
}

// endSpan ends the recording span of a goroutine that exited, with the
// latency of its exit if its context was done.
//
//go:noinline
func endSpan(span trace.Span, e *custody.Event) {
	if e.Latency > 0 || e.Err != nil {
		latency := cancelLatencyKey.Float64(seconds(e.Latency))
		span.SetAttributes(latency)
		span.AddEvent(eventNames[e.Kind], trace.WithTimestamp(e.Time), trace.WithAttributes(latency))
	}
	span.End(trace.WithTimestamp(e.Time))
}

// Flush asks the providers to export what they hold now, so that the span
// and the count of a panic reach the backend before the panic, raised
// again, ends the process: safego calls it, with a deadline. A provider the bridge uses that cannot flush (it has no
// ForceFlush method, as the SDK's have), such as the global placeholder
// that forwards to a provider registered later, is replaced by the global
// provider of the moment. A provider's error is reported to otel.Handle.
func (s *sink) Flush(ctx context.Context) {
	var tp, mp any = s.tracerProvider, s.meterProvider
	if _, ok := tp.(forceFlusher); !ok {
		tp = otel.GetTracerProvider()
	}
	if _, ok := mp.(forceFlusher); !ok {
		mp = otel.GetMeterProvider()
	}
	for _, p := range []any{tp, mp} {
		if f, ok := p.(forceFlusher); ok {
			if err := f.ForceFlush(ctx); err != nil {
				otel.Handle(fmt.Errorf("otelbridge: flushing %T: %w", p, err))
			}
		}
	}
}

func (s *sink) chanEvent(ctx context.Context, e *custody.Event, c metric.Int64Counter) {
	if c != nil {
		c.Add(ctx, 1, s.chanOpts.get(e.Object).add...)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(eventNames[e.Kind], trace.WithTimestamp(e.Time), trace.WithAttributes(chanAttrs(e)...))
}

func (s *sink) mapEvent(ctx context.Context, e *custody.Event, c metric.Int64Counter) {
	if c != nil {
		// No attributes: map keys are unbounded, and maps have no name.
		c.Add(ctx, 1)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(eventNames[e.Kind], trace.WithTimestamp(e.Time), trace.WithAttributes(mapAttrs(e)...))
}
