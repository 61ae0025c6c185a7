// Package spine is what custody's wrappers and sinks share: the mode, the
// delivery of events to the installed sinks, call sites and records. It is
// the typed view of internal/core, which holds the state.
package spine

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
)

// A Starter is a sink that chooses the context an owned goroutine runs
// with; the OpenTelemetry bridge starts the goroutine's span there.
type Starter interface {
	StartGoroutine(ctx context.Context, g *custody.Goroutine) context.Context
}

// A Gracer is a sink that chooses how long an owned goroutine may run on
// after its context is done before it counts as ignoring cancellation.
type Gracer interface {
	CancelGrace() time.Duration
}

// A Flusher is a sink that holds events back and can deliver them now.
type Flusher interface {
	Flush(ctx context.Context)
}

// Install adds s in mode, as custody.Install does, with an uninstall that
// waits up to drain for goroutines started under s to report their exit.
func Install(s custody.Sink, mode core.Mode, drain time.Duration) (uninstall func()) {
	return core.Install(&core.Entry{Sink: s, Mode: mode, Drain: drain})
}

// Mode returns the mode of the installed sinks, or Off. It is one atomic
// load: wrappers call it first and take the bare path when it returns Off.
func Mode() core.Mode {
	if st := core.Load(); st != nil {
		return st.Mode
	}
	return core.Off
}

// Emit delivers *e to the installed sinks, setting e.Time to now when it is
// zero. It does not keep e.
func Emit(ctx context.Context, e *custody.Event) {
	if st := core.Load(); st != nil {
		To(st, ctx, e)
	}
}

// To delivers *e to the sinks of st that are still installed, setting
// e.Time to now when it is zero, and reports whether a sink in verify mode
// received it. A panic in a sink is recovered and logged; the others still
// get the event.
func To(st *core.State, ctx context.Context, e *custody.Event) (verified bool) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	for _, en := range st.Entries {
		if en.Removed() {
			continue
		}
		deliver(ctx, en.Sink.(custody.Sink), e)
		verified = verified || en.Mode == core.Verify
	}
	return verified
}

// deliver calls s.Emit, containing a panic in it.
func deliver(ctx context.Context, s custody.Sink, e *custody.Event) {
	defer recoverSink(ctx, s, e.Kind)
	s.Emit(ctx, *e)
}

// An EventSink is a sink that takes events by pointer, sparing the copy of
// an Event that Emit's argument costs on the stack: an owned goroutine
// reports its exit on what is often still its first, small stack. It must
// not keep e.
type EventSink interface {
	EmitEvent(ctx context.Context, e *custody.Event)
}

// ToPooled is To for an event on the heap, such as one from a sync.Pool,
// which an EventSink receives as it is; other sinks get a copy. (To keeps
// its events on their sender's stack: a pointer given to an interface
// method would move them to the heap.)
func ToPooled(st *core.State, ctx context.Context, e *custody.Event) (verified bool) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	for _, en := range st.Entries {
		if en.Removed() {
			continue
		}
		if p, ok := en.Sink.(EventSink); ok {
			deliverPointer(ctx, p, e)
		} else {
			deliver(ctx, en.Sink.(custody.Sink), e)
		}
		verified = verified || en.Mode == core.Verify
	}
	return verified
}

// deliverPointer calls s.EmitEvent, containing a panic in it.
func deliverPointer(ctx context.Context, s EventSink, e *custody.Event) {
	defer recoverSink(ctx, s, e.Kind)
	s.EmitEvent(ctx, e)
}

func recoverSink(ctx context.Context, s any, k custody.Kind) {
	if v := recover(); v != nil {
		logSinkPanic(ctx, s, "custody: sink panicked in Emit; the event is lost, the operation goes on", k, v)
	}
}

// logSinkPanic is kept out of line so that recoverSink, deferred by every
// delivery, has a small frame: an owned goroutine reports its exit on what
// is often still its first, small stack.
//
//go:noinline
func logSinkPanic(ctx context.Context, s any, msg string, k custody.Kind, v any) {
	attrs := []any{slog.String("sink", fmt.Sprintf("%T", s))}
	if k != 0 {
		attrs = append(attrs, slog.String("kind", k.String()))
	}
	attrs = append(attrs, slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
	slog.Default().ErrorContext(ctx, msg, attrs...)
}

// Start returns the context the owned goroutine g runs with: ctx as the
// sinks of st that are Starters adjust it, in order. A sink that panics or
// returns nil leaves the context as it was.
func Start(st *core.State, ctx context.Context, g *custody.Goroutine) context.Context {
	for _, en := range st.Entries {
		if s, ok := en.Sink.(Starter); ok && !en.Removed() {
			ctx = start(ctx, s, g)
		}
	}
	return ctx
}

func start(ctx context.Context, s Starter, g *custody.Goroutine) (out context.Context) {
	out = ctx
	defer func() {
		if v := recover(); v != nil {
			logSinkPanic(ctx, s, "custody: sink panicked starting a goroutine; the goroutine runs with its own context", 0, v)
		}
	}()
	if next := s.StartGoroutine(ctx, g); next != nil {
		out = next
	}
	return out
}

// Grace returns the shortest cancel grace a sink of st chooses, or
// core.DefaultGrace. A sink that panics makes no choice.
func Grace(st *core.State) time.Duration {
	var d time.Duration
	for _, en := range st.Entries {
		if s, ok := en.Sink.(Gracer); ok && !en.Removed() {
			if sd := grace(s); sd > 0 && (d == 0 || sd < d) {
				d = sd
			}
		}
	}
	if d == 0 {
		return core.DefaultGrace
	}
	return d
}

func grace(s Gracer) (d time.Duration) {
	defer func() {
		if v := recover(); v != nil {
			d = 0
			logSinkPanic(context.Background(), s, "custody: sink panicked in CancelGrace; its choice is ignored", 0, v)
		}
	}()
	return s.CancelGrace()
}

// Flush asks each sink of st that is a Flusher to deliver what it holds
// back, and returns when they have. It does not bound their wait: callers
// that must not hang run it where they can abandon it.
func Flush(st *core.State, ctx context.Context) {
	for _, en := range st.Entries {
		if s, ok := en.Sink.(Flusher); ok && !en.Removed() {
			flush(ctx, s)
		}
	}
}

func flush(ctx context.Context, s Flusher) {
	defer func() {
		if v := recover(); v != nil {
			logSinkPanic(ctx, s, "custody: sink panicked in Flush; what it held may be lost", 0, v)
		}
	}()
	s.Flush(ctx)
}

// Caller returns the call site skip frames above its caller: Caller(0) is
// the line that calls Caller.
func Caller(skip int) custody.Site {
	var pcs [1]uintptr // left zero, an unknown Site, if there is no such frame
	runtime.Callers(skip+2, pcs[:])
	return custody.Site(pcs[0])
}

// Callers returns the stack of its caller, skipping skip frames as Caller
// does, up to 64 frames.
func Callers(skip int) custody.Stack {
	var pcs [64]uintptr
	n := runtime.Callers(skip+2, pcs[:])
	return append(custody.Stack(nil), pcs[:n]...)
}

// NewGoroutine returns a record with a fresh ID and the current time.
func NewGoroutine(parent *custody.Goroutine, name string, spawn custody.Site) *custody.Goroutine {
	return &custody.Goroutine{ID: core.NextID(), Name: name, Spawn: spawn, Parent: parent, Start: time.Now()}
}

// Root returns the outermost record of g's parents, or g; nil for nil.
func Root(g *custody.Goroutine) *custody.Goroutine {
	if g == nil {
		return nil
	}
	for g.Parent != nil {
		g = g.Parent
	}
	return g
}

// IsRecordKey reports whether key is the context key of a record, for
// context types that carry a record without a context.WithValue layer.
func IsRecordKey(key any) bool {
	_, ok := key.(core.RecordKey)
	return ok
}

// A LocalKey is the context key of a value that a Starter adds for one
// owned goroutine, such as its span. The layer that carries the goroutine's
// record answers nil for it rather than asking the contexts it wraps, where
// such a value could only be a parent goroutine's: a sink finds out with one
// call, on a goroutine's small stack, that it added nothing.
type LocalKey struct{ Sink any }

// WithRecord returns a copy of ctx that carries g, as custody.NewContext
// does with a record of its own making.
func WithRecord(ctx context.Context, g *custody.Goroutine) context.Context {
	return context.WithValue(ctx, core.RecordKey{}, g)
}

// A Failer is a sink that wants the error an owned goroutine returned (a
// Group member's); the OpenTelemetry bridge sets its span's status.
type Failer interface {
	GoroutineFailed(ctx context.Context, g *custody.Goroutine, err error)
}

// Fail tells the sinks of st that are Failers that g returned err. A sink
// that panics is logged, as in Emit.
func Fail(st *core.State, ctx context.Context, g *custody.Goroutine, err error) {
	for _, en := range st.Entries {
		if s, ok := en.Sink.(Failer); ok && !en.Removed() {
			fail(ctx, s, g, err)
		}
	}
}

func fail(ctx context.Context, s Failer, g *custody.Goroutine, err error) {
	defer func() {
		if v := recover(); v != nil {
			logSinkPanic(ctx, s, "custody: sink panicked in GoroutineFailed; the error is not recorded", 0, v)
		}
	}()
	s.GoroutineFailed(ctx, g, err)
}

// ContextString describes a context layer that wraps parent and carries g
// for pkg, as the context package's own String methods do:
// "context.Background.WithValue(custody, worker#3)".
func ContextString(parent context.Context, pkg string, g *custody.Goroutine) string {
	name := reflect.TypeOf(parent).String()
	if s, ok := parent.(fmt.Stringer); ok {
		name = s.String()
	}
	return name + ".WithValue(" + pkg + ", " + g.String() + ")"
}
