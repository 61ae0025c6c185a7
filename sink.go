package custody

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// A Mode says how much the wrappers record. The zero Mode is Off.
type Mode uint8

const (
	// Off: no sink is installed. Wrapped operations cost one atomic load
	// over the bare primitive and record nothing.
	Off Mode = iota
	// Observe: events are reported with their sites; for production
	// telemetry.
	Observe
	// Verify: events also carry full stacks, map values are fingerprinted
	// and contexts are watched; for tests.
	Verify
)

// String returns "off", "observe" or "verify".
func (m Mode) String() string {
	switch m {
	case Off:
		return "off"
	case Observe:
		return "observe"
	case Verify:
		return "verify"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// A Sink receives the events of every wrapper in the process. Emit is called
// synchronously by the goroutine that performed the operation, possibly from
// many goroutines at once, so it must be safe for concurrent use and should
// be quick. ctx is the operation's context; for goroutine kinds it is the
// owned goroutine's own context.
//
// A Sink may also implement:
//
//	Mode() Mode
//
// to ask for [Verify] mode; a Sink without that method, or whose Mode returns
// Off, gets [Observe]. SetSink reads the mode once. And:
//
//	GoroutineContext(ctx context.Context, g *Goroutine) context.Context
//
// which safego calls before it starts the owned goroutine g, with the
// context g would run with; g runs with the returned context instead. The
// OpenTelemetry sink uses it to start the goroutine's span. And:
//
//	CancelGrace() time.Duration
//
// how long an owned goroutine may keep running after its context is done
// before it is reported as ignoring cancellation ([GoroutineIgnoredCancel]);
// see [CancelGrace]. And:
//
//	Flush(ctx context.Context)
//
// to deliver what it holds back, such as spans a batching exporter has not
// sent yet, because the process is about to end: safego calls it, through
// [Flush], before it raises an owned goroutine's panic again, and before a
// Group's Wait raises a member's. It should return by ctx's deadline and
// report its own failures.
type Sink interface {
	Emit(ctx context.Context, e Event)
}

type moder interface{ Mode() Mode }

type gracer interface{ CancelGrace() time.Duration }

type contexter interface {
	GoroutineContext(ctx context.Context, g *Goroutine) context.Context
}

type flusher interface{ Flush(ctx context.Context) }

// installed is what the active-sink pointer points to: the sink and what was
// derived from it once, at install time.
type installed struct {
	sink  Sink
	mode  Mode
	ctx   contexter
	grace gracer
	flush flusher
}

// DefaultCancelGrace is the [CancelGrace] of a sink that does not choose
// one.
const DefaultCancelGrace = time.Second

var active atomic.Pointer[installed]

// SetSink makes s the process's active sink and returns a function that
// restores the sink that was active before. SetSink(nil) turns custody off.
// Restore functions must be called in the reverse order of the SetSink calls
// they undo; to combine sinks, install a [Tee].
func SetSink(s Sink) (restore func()) {
	var next *installed
	if s != nil {
		next = &installed{sink: s, mode: Observe}
		if m, ok := s.(moder); ok && m.Mode() > Observe {
			next.mode = m.Mode()
		}
		next.ctx, _ = s.(contexter)
		next.grace, _ = s.(gracer)
		next.flush, _ = s.(flusher)
	}
	prev := active.Swap(next)
	return func() { active.Store(prev) }
}

// CurrentSink returns the active sink, or nil when custody is off.
func CurrentSink() Sink {
	if in := active.Load(); in != nil {
		return in.sink
	}
	return nil
}

// Active returns the active sink's mode, or [Off]. It is one atomic load:
// wrappers call it first and take the bare path when it returns Off.
func Active() Mode {
	if in := active.Load(); in != nil {
		return in.mode
	}
	return Off
}

// Emit delivers a copy of *e to the active sink, if any, after setting
// e.Time to the current time when it is zero; it does not keep e, but an
// event must not be shared between goroutines that emit it. It takes a
// pointer so that a wrapper's event is not copied on the way: an owned
// goroutine reports its exit on what is often still its first, small stack.
// A sink that panics does not unwind into the wrapped operation: the panic
// is recovered and logged through [slog.Default] at error level with the
// sink's type, the event kind, the panic value and the stack, and the
// operation goes on. A sink's bug must not turn a channel send into a crash.
func Emit(ctx context.Context, e *Event) {
	in := active.Load()
	if in == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	defer recoverSink(ctx, in.sink, e.Kind)
	in.sink.Emit(ctx, *e)
}

// deliver calls s.Emit, containing a panic in s.
func deliver(ctx context.Context, s Sink, e Event) {
	defer recoverSink(ctx, s, e.Kind)
	s.Emit(ctx, e)
}

// Flush asks the active sink to deliver what it holds back, if it has a
// Flush method (see [Sink]), and returns when the sink's Flush does. A panic
// in it is contained and logged as [Emit] describes.
func Flush(ctx context.Context) {
	if in := active.Load(); in != nil && in.flush != nil {
		flush(ctx, in.sink, in.flush)
	}
}

// flush calls f.Flush, containing a panic in s, the sink f belongs to.
func flush(ctx context.Context, s Sink, f flusher) {
	defer func() {
		if v := recover(); v != nil {
			slog.Default().ErrorContext(ctx, "custody: sink panicked in Flush; what it held may be lost",
				slog.String("sink", fmt.Sprintf("%T", s)),
				slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
		}
	}()
	f.Flush(ctx)
}

// CancelGrace returns how long an owned goroutine may run on after its
// context is done before safego reports it as ignoring cancellation: the
// active sink's choice (see [Sink]; asked at each call, so it may change
// while the sink is installed), or [DefaultCancelGrace]. A panic in the
// sink's CancelGrace is contained and logged as [Emit] describes, and the
// sink is taken to have made no choice.
func CancelGrace() time.Duration {
	if in := active.Load(); in != nil && in.grace != nil {
		if d := grace(in.sink, in.grace); d > 0 {
			return d
		}
	}
	return DefaultCancelGrace
}

// grace returns g.CancelGrace(), or 0 if it panics, containing the panic
// in s, the sink g belongs to. safego asks from the context package's
// goroutine, holding a lock: a sink's panic there would end the process.
func grace(s Sink, g gracer) (d time.Duration) {
	defer func() {
		if v := recover(); v != nil {
			d = 0
			slog.Default().Error("custody: sink panicked in CancelGrace; its choice is ignored",
				slog.String("sink", fmt.Sprintf("%T", s)),
				slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
		}
	}()
	return g.CancelGrace()
}

// GoroutineContext returns the context an owned goroutine g should run with:
// ctx as the active sink adjusts it (see [Sink]), or ctx unchanged.
func GoroutineContext(ctx context.Context, g *Goroutine) context.Context {
	in := active.Load()
	if in == nil || in.ctx == nil {
		return ctx
	}
	return adjust(ctx, in.sink, in.ctx, g)
}

// adjust returns the context c gives g, or ctx if c panics or returns nil.
func adjust(ctx context.Context, s Sink, c contexter, g *Goroutine) (out context.Context) {
	out = ctx
	defer recoverSink(ctx, s, GoroutineSpawned)
	if next := c.GoroutineContext(ctx, g); next != nil {
		out = next
	}
	return out
}

func recoverSink(ctx context.Context, s Sink, k Kind) {
	if v := recover(); v != nil {
		logSinkPanic(ctx, s, k, v)
	}
}

// logSinkPanic is kept out of line so that recoverSink, deferred by every
// Emit, has a small frame: a large one grows a new goroutine's stack.
//
//go:noinline
func logSinkPanic(ctx context.Context, s Sink, k Kind, v any) {
	slog.Default().ErrorContext(ctx, "custody: sink panicked; the event is lost, the operation goes on",
		slog.String("sink", fmt.Sprintf("%T", s)),
		slog.String("kind", k.String()),
		slog.Any("panic", v),
		slog.String("stack", string(debug.Stack())))
}
