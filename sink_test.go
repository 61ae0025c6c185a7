package custody_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type emitFunc func(context.Context, custody.Event)

func (f emitFunc) Emit(ctx context.Context, e custody.Event) { f(ctx, e) }

func TestSetSinkRestores(t *testing.T) {
	require.Nil(t, custody.CurrentSink())
	require.Equal(t, custody.Off, custody.Active())

	outer := sinktest.New(custody.Observe)
	restoreOuter := custody.SetSink(outer)
	inner := sinktest.New(custody.Verify)
	restoreInner := custody.SetSink(inner)
	assert.Equal(t, custody.Verify, custody.Active())
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanMade})
	restoreInner()
	assert.Equal(t, custody.Observe, custody.Active())
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanClosed})
	restoreOuter()
	assert.Equal(t, custody.Off, custody.Active())
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanDoubleClose}) // dropped

	assert.Equal(t, []custody.Kind{custody.ChanMade}, sinktest.Kinds(inner.Events()))
	assert.Equal(t, []custody.Kind{custody.ChanClosed}, sinktest.Kinds(outer.Events()))
	assert.False(t, inner.Events()[0].Time.IsZero(), "Emit fills in the time")
}

func TestSetSinkNilIsOff(t *testing.T) {
	restore := custody.SetSink(&sinktest.Recorder{})
	defer restore()
	restoreNil := custody.SetSink(nil)
	assert.Equal(t, custody.Off, custody.Active())
	assert.Nil(t, custody.CurrentSink())
	restoreNil()
	assert.Equal(t, custody.Observe, custody.Active(), "a sink without a Mode method gets Observe")
}

func TestTee(t *testing.T) {
	a, b := sinktest.New(custody.Observe), sinktest.New(custody.Verify)
	assert.Nil(t, custody.Tee(), "Tee() is off")
	assert.Nil(t, custody.Tee(nil, nil))
	assert.Same(t, a, custody.Tee(nil, a), "a tee of one sink is that sink")

	restore := custody.SetSink(custody.Tee(a, nil, b))
	defer restore()
	assert.Equal(t, custody.Verify, custody.Active(), "a tee takes the highest mode")
	custody.Emit(t.Context(), &custody.Event{Kind: custody.MapZeroLoaded})
	assert.Equal(t, []custody.Kind{custody.MapZeroLoaded}, sinktest.Kinds(a.Events()))
	assert.Equal(t, []custody.Kind{custody.MapZeroLoaded}, sinktest.Kinds(b.Events()))
}

// fullSink has every optional method of a Sink.
type fullSink struct {
	*sinktest.Recorder
	tag     string
	d       time.Duration
	flushes atomic.Int32
}

func (s *fullSink) GoroutineContext(ctx context.Context, g *custody.Goroutine) context.Context {
	prev, _ := ctx.Value(ctxKey{}).(string)
	return context.WithValue(ctx, ctxKey{}, prev+s.tag+g.Name)
}

func (s *fullSink) CancelGrace() time.Duration { return s.d }

func (s *fullSink) Flush(context.Context) { s.flushes.Add(1) }

// boxSink is of a comparable type, but == panics on it when v holds a
// slice.
type boxSink struct{ v any }

func (boxSink) Emit(context.Context, custody.Event) {}

func TestTeeDeliversOncePerSink(t *testing.T) {
	a := &fullSink{Recorder: sinktest.New(custody.Verify), tag: "a:", d: time.Minute}
	b := &fullSink{Recorder: sinktest.New(custody.Observe), tag: "b:", d: 30 * time.Second}
	assert.Same(t, a, custody.Tee(a, nil, a), "a tee of one sink twice is that sink")
	assert.Same(t, a, custody.Tee(custody.Tee(nil, a), a))
	assert.Equal(t, custody.NewLogSink(nil), custody.Tee(custody.NewLogSink(nil), custody.NewLogSink(nil)),
		"equal sink values are one sink")

	restore := custody.SetSink(custody.Tee(custody.Tee(a, b), b, a))
	defer restore()
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanMade})
	assert.Equal(t, []custody.Kind{custody.ChanMade}, sinktest.Kinds(a.Events()))
	assert.Equal(t, []custody.Kind{custody.ChanMade}, sinktest.Kinds(b.Events()))
	assert.Equal(t, custody.Verify, custody.Active())
	assert.Equal(t, 30*time.Second, custody.CancelGrace())
	g := custody.NewGoroutine(nil, "w", custody.Caller(0))
	assert.Equal(t, "a:wb:w", custody.GoroutineContext(t.Context(), g).Value(ctxKey{}), "each sink adjusts once, in order")
	custody.Flush(t.Context())
	assert.Equal(t, int32(1), a.flushes.Load())
	assert.Equal(t, int32(1), b.flushes.Load())

	// What the oracle does when it installs itself again over a leftover
	// tee that already holds it: Tee(CurrentSink(), itself).
	other := sinktest.New(custody.Observe)
	restoreLeftover := custody.SetSink(custody.Tee(other, a))
	restoreAgain := custody.SetSink(custody.Tee(custody.CurrentSink(), a))
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanClosed})
	restoreAgain()
	restoreLeftover()
	assert.Equal(t, []custody.Kind{custody.ChanMade, custody.ChanClosed}, sinktest.Kinds(a.Events()))
	assert.Equal(t, []custody.Kind{custody.ChanClosed}, sinktest.Kinds(other.Events()))
}

func TestTeeKeepsIncomparableSinks(t *testing.T) {
	var n atomic.Int32
	f := emitFunc(func(context.Context, custody.Event) { n.Add(1) })
	a := sinktest.New(custody.Observe)
	var tee custody.Sink
	require.NotPanics(t, func() { tee = custody.Tee(f, a, f, custody.Tee(f, a)) })
	restore := custody.SetSink(tee)
	defer restore()
	custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanMade})
	assert.Equal(t, int32(3), n.Load(), "a func sink cannot be compared, so each one is kept")
	assert.Len(t, a.Events(), 1)

	require.NotPanics(t, func() { tee = custody.Tee(boxSink{[]int{1}}, boxSink{[]int{1}}, boxSink{1}, boxSink{1}) })
	assert.Equal(t, custody.Tee(boxSink{[]int{1}}, boxSink{[]int{1}}, boxSink{1}), tee,
		"boxSink values holding a slice are kept, equal ones holding an int are one")
}

type ctxKey struct{}

// tagger adds a value to an owned goroutine's context.
type tagger struct {
	sinktest.Recorder
	tag string
}

func (s *tagger) GoroutineContext(ctx context.Context, g *custody.Goroutine) context.Context {
	prev, _ := ctx.Value(ctxKey{}).(string)
	return context.WithValue(ctx, ctxKey{}, prev+s.tag+g.Name)
}

type graceSink struct {
	sinktest.Recorder
	d time.Duration
}

func (s *graceSink) CancelGrace() time.Duration { return s.d }

func TestCancelGrace(t *testing.T) {
	assert.Equal(t, custody.DefaultCancelGrace, custody.CancelGrace())
	restore := custody.SetSink(custody.Tee(&graceSink{d: time.Minute}, &sinktest.Recorder{}, &graceSink{d: 50 * time.Millisecond}))
	assert.Equal(t, 50*time.Millisecond, custody.CancelGrace(), "a tee takes the shortest grace")
	restore()
	restore = custody.SetSink(&sinktest.Recorder{})
	defer restore()
	assert.Equal(t, custody.DefaultCancelGrace, custody.CancelGrace())
}

// panicGracer panics in CancelGrace.
type panicGracer struct{ sinktest.Recorder }

func (*panicGracer) CancelGrace() time.Duration { panic("grace bug") }

func TestCancelGraceContainsPanics(t *testing.T) {
	var logged bytes.Buffer
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(prevLogger)

	restore := custody.SetSink(&panicGracer{})
	var d time.Duration
	require.NotPanics(t, func() { d = custody.CancelGrace() })
	restore()
	assert.Equal(t, custody.DefaultCancelGrace, d, "a sink whose CancelGrace panics gets the default")
	out := logged.String()
	assert.Contains(t, out, "custody: sink panicked in CancelGrace")
	assert.Contains(t, out, "sink=*custody_test.panicGracer")
	assert.Contains(t, out, `panic="grace bug"`)
	assert.Contains(t, out, "custody_test.(*panicGracer).CancelGrace")

	logged.Reset()
	restore = custody.SetSink(custody.Tee(&graceSink{d: time.Minute}, &panicGracer{}, &graceSink{d: 2 * time.Minute}))
	defer restore()
	require.NotPanics(t, func() { d = custody.CancelGrace() })
	assert.Equal(t, time.Minute, d, "a tee skips the sink that panics and takes the shortest of the others")
	assert.Equal(t, 1, strings.Count(logged.String(), "custody: sink panicked in CancelGrace"), logged.String())
	assert.Contains(t, logged.String(), "sink=*custody_test.panicGracer")

	restore2 := custody.SetSink(custody.Tee(&panicGracer{}, &sinktest.Recorder{}))
	defer restore2()
	assert.Equal(t, custody.DefaultCancelGrace, custody.CancelGrace(), "a tee whose only gracer panics gets the default")
}

func TestGoroutineContext(t *testing.T) {
	g := custody.NewGoroutine(nil, "worker", custody.Caller(0))
	ctx := t.Context()
	assert.Equal(t, ctx, custody.GoroutineContext(ctx, g), "off: ctx unchanged")

	restore := custody.SetSink(custody.Tee(&tagger{tag: "a:"}, &sinktest.Recorder{}, &tagger{tag: "b:"}))
	defer restore()
	got := custody.GoroutineContext(ctx, g)
	assert.Equal(t, "a:workerb:worker", got.Value(ctxKey{}), "each sink of a tee adjusts the context in turn")
}

func TestPanickingSinkIsContainedAndLogged(t *testing.T) {
	var logged bytes.Buffer
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(prevLogger)

	var after atomic.Int32
	bad := emitFunc(func(context.Context, custody.Event) { panic(errors.New("sink bug")) })
	good := emitFunc(func(context.Context, custody.Event) { after.Add(1) })
	restore := custody.SetSink(custody.Tee(bad, good))
	defer restore()

	require.NotPanics(t, func() {
		custody.Emit(t.Context(), &custody.Event{Kind: custody.ChanClosed})
	})
	assert.Equal(t, int32(1), after.Load(), "the sink after the panicking one still gets the event")
	out := logged.String()
	assert.Contains(t, out, "custody: sink panicked")
	assert.Contains(t, out, "kind=chan.closed")
	assert.Contains(t, out, "panic=\"sink bug\"")
	assert.Contains(t, out, "custody_test.TestPanickingSinkIsContainedAndLogged")
}

// TestEmitContainsPanics installs a panicking sink directly, without a tee:
// Emit itself must contain the panic, not a tee's delivery.
func TestEmitContainsPanics(t *testing.T) {
	var logged bytes.Buffer
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(prevLogger)

	restore := custody.SetSink(emitFunc(func(context.Context, custody.Event) { panic("lone sink bug") }))
	defer restore()
	require.NotPanics(t, func() {
		custody.Emit(t.Context(), &custody.Event{Kind: custody.MapZeroStored})
	})
	out := logged.String()
	assert.Contains(t, out, "custody: sink panicked")
	assert.Contains(t, out, "sink=custody_test.emitFunc")
	assert.Contains(t, out, "kind=map.zero_stored")
	assert.Contains(t, out, `panic="lone sink bug"`)
	assert.Contains(t, out, "custody_test.TestEmitContainsPanics")
}

func TestKindString(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range custody.Kinds() {
		s := k.String()
		assert.NotEqual(t, "unknown", s)
		assert.False(t, seen[s], "duplicate name %q", s)
		seen[s] = true
	}
	assert.Len(t, custody.Kinds(), 15)
	assert.Equal(t, "chan.double_close", custody.ChanDoubleClose.String())
	assert.Equal(t, "Kind(200)", custody.Kind(200).String())
	assert.Equal(t, "verify", custody.Verify.String())
	assert.Equal(t, "Mode(9)", custody.Mode(9).String())
}

func TestGoroutineRecord(t *testing.T) {
	test := custody.NewGoroutine(nil, "TestX", custody.Caller(0))
	handler := custody.NewGoroutine(test, "handle", custody.Caller(0))
	worker := custody.NewGoroutine(handler, "process-payment", custody.Caller(0))
	other := custody.NewGoroutine(nil, "TestY", custody.Caller(0))

	assert.Same(t, test, worker.Root())
	assert.NotSame(t, test, other.Root())
	assert.Equal(t, "process-payment ← handle ← TestX", worker.Chain())
	assert.Less(t, test.ID, worker.ID)
	assert.Contains(t, worker.String(), `"process-payment" (custody `)
	assert.Equal(t, "an unowned goroutine", (*custody.Goroutine)(nil).String())
	assert.Nil(t, (*custody.Goroutine)(nil).Root())

	ctx := custody.NewContext(t.Context(), worker)
	assert.Same(t, worker, custody.FromContext(ctx))
	assert.Nil(t, custody.FromContext(t.Context()))
	assert.Nil(t, custody.FromContext(nil)) //nolint:staticcheck // nil is documented to work
}

var sinkCount atomic.Int64

func BenchmarkEmit(b *testing.B) {
	// The operation custody wraps is stood in for by an atomic add; off adds
	// the one atomic load every wrapper pays with no sink installed.
	var x atomic.Int64
	ev := custody.Event{Kind: custody.ChanClosed, Object: "results"}
	ctx := context.Background()
	run := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Add(1)
			if custody.Active() != custody.Off {
				custody.Emit(ctx, &ev)
			}
		}
	}
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Add(1)
		}
	})
	b.Run("off", run)
	b.Run("observe", func(b *testing.B) {
		defer custody.SetSink(emitFunc(func(context.Context, custody.Event) { sinkCount.Add(1) }))()
		run(b)
	})
}

func TestEmitOffAllocatesNothing(t *testing.T) {
	ev := custody.Event{Kind: custody.ChanClosed}
	allocs := testing.AllocsPerRun(1000, func() {
		if custody.Active() != custody.Off {
			custody.Emit(context.Background(), &ev)
		}
		custody.Emit(context.Background(), &ev)
	})
	assert.Zero(t, allocs)
}

// recordCtx carries a record without a context.WithValue layer, as
// safego's owned goroutines do.
type recordCtx struct {
	context.Context
	g *custody.Goroutine
}

func (c recordCtx) Value(key any) any {
	if custody.IsRecordKey(key) {
		return c.g
	}
	return c.Context.Value(key)
}

func TestIsRecordKey(t *testing.T) {
	g := custody.NewGoroutine(nil, "own-ctx", custody.Caller(0))
	assert.Same(t, g, custody.FromContext(recordCtx{t.Context(), g}))
	assert.False(t, custody.IsRecordKey(ctxKey{}))
	assert.False(t, custody.IsRecordKey(nil))
}

type panicContexter struct{ sinktest.Recorder }

func (*panicContexter) GoroutineContext(context.Context, *custody.Goroutine) context.Context {
	panic("contexter bug")
}

func TestTeeContainsGoroutineContextPanics(t *testing.T) {
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer slog.SetDefault(prevLogger)
	restore := custody.SetSink(custody.Tee(&tagger{tag: "a:"}, &panicContexter{}, &tagger{tag: "b:"}))
	defer restore()
	g := custody.NewGoroutine(nil, "w", custody.Caller(0))
	got := custody.GoroutineContext(t.Context(), g)
	assert.Equal(t, "a:wb:w", got.Value(ctxKey{}), "the sinks before and after the panicking one keep their changes")
}

// flushSink counts its flushes, and panics in Flush if bad.
type flushSink struct {
	sinktest.Recorder
	flushes  atomic.Int32
	deadline bool // the last Flush's ctx had a deadline
	bad      bool
}

func (s *flushSink) Flush(ctx context.Context) {
	s.flushes.Add(1)
	_, s.deadline = ctx.Deadline()
	if s.bad {
		panic("flush bug")
	}
}

func TestFlush(t *testing.T) {
	var logged bytes.Buffer
	prevLogger := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(prevLogger)

	custody.Flush(t.Context()) // off: nothing to flush, no panic

	a := &flushSink{}
	restore := custody.SetSink(a)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	custody.Flush(ctx)
	restore()
	assert.Equal(t, int32(1), a.flushes.Load())
	assert.True(t, a.deadline, "the sink gets the caller's context")

	bad, c := &flushSink{bad: true}, &flushSink{}
	restore = custody.SetSink(custody.Tee(bad, &sinktest.Recorder{}, c))
	defer restore()
	require.NotPanics(t, func() { custody.Flush(t.Context()) })
	assert.Equal(t, int32(1), bad.flushes.Load())
	assert.Equal(t, int32(1), c.flushes.Load(), "a tee flushes every sink that can, past one that panics")
	assert.Contains(t, logged.String(), "custody: sink panicked in Flush")
	assert.Contains(t, logged.String(), "flush bug")

	restore2 := custody.SetSink(&sinktest.Recorder{})
	defer restore2()
	custody.Flush(t.Context()) // a sink without Flush: nothing happens
}
