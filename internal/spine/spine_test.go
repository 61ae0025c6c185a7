package spine_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/spine"
)

type emitFunc func(context.Context, custody.Event)

func (f emitFunc) Emit(ctx context.Context, e custody.Event) { f(ctx, e) }

// logTo sends slog.Default to a buffer until t ends.
func logTo(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&b, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &b
}

func TestEmitContainsPanics(t *testing.T) {
	logged := logTo(t)
	var after atomic.Int32
	defer spine.Install(emitFunc(func(context.Context, custody.Event) { panic("sink bug") }), core.Observe, 0)()
	defer spine.Install(emitFunc(func(context.Context, custody.Event) { after.Add(1) }), core.Observe, 0)()
	require.NotPanics(t, func() { spine.Emit(t.Context(), &custody.Event{Kind: custody.ChanClosed}) })
	assert.Equal(t, int32(1), after.Load(), "the sink after the panicking one still gets the event")
	out := logged.String()
	assert.Contains(t, out, "custody: sink panicked in Emit")
	assert.Contains(t, out, "sink=spine_test.emitFunc")
	assert.Contains(t, out, "kind=chan.closed")
	assert.Contains(t, out, `panic="sink bug"`)
	assert.Contains(t, out, "spine_test.TestEmitContainsPanics")
}

func TestEmitFillsTime(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	spine.Emit(t.Context(), &custody.Event{Kind: custody.ChanMade})
	require.Len(t, r.Events(), 1)
	assert.False(t, r.Events()[0].Time.IsZero())
}

func TestToReportsVerified(t *testing.T) {
	un := spine.Install(&sinktest.Recorder{}, core.Observe, 0)
	assert.False(t, spine.To(core.Load(), t.Context(), &custody.Event{Kind: custody.GoroutinePanicked}))
	uv := spine.Install(&sinktest.Recorder{}, core.Verify, 0)
	st := core.Load()
	assert.True(t, spine.To(st, t.Context(), &custody.Event{Kind: custody.GoroutinePanicked}))
	uv()
	assert.False(t, spine.To(st, t.Context(), &custody.Event{Kind: custody.GoroutinePanicked}),
		"a sink uninstalled since the state was loaded receives nothing")
	un()
}

type ctxKey struct{}

type tagger struct {
	sinktest.Recorder
	tag string
}

func (s *tagger) StartGoroutine(ctx context.Context, g *custody.Goroutine) context.Context {
	prev, _ := ctx.Value(ctxKey{}).(string)
	return context.WithValue(ctx, ctxKey{}, prev+s.tag+g.Name)
}

type panicStarter struct{ sinktest.Recorder }

func (*panicStarter) StartGoroutine(context.Context, *custody.Goroutine) context.Context {
	panic("starter bug")
}

func TestStart(t *testing.T) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	logTo(t)
	defer spine.Install(&tagger{tag: "a:"}, core.Observe, 0)()
	defer spine.Install(&panicStarter{}, core.Observe, 0)()
	defer spine.Install(&tagger{tag: "b:"}, core.Observe, 0)()
	g := spine.NewGoroutine(nil, "w", spine.Caller(0))
	got := spine.Start(core.Load(), t.Context(), g)
	assert.Equal(t, "a:wb:w", got.Value(ctxKey{}), "each sink adjusts in turn; one that panics changes nothing")
}

type graceSink struct {
	sinktest.Recorder
	d     time.Duration
	panic bool
}

func (s *graceSink) CancelGrace() time.Duration {
	if s.panic {
		panic("grace bug")
	}
	return s.d
}

func TestGrace(t *testing.T) {
	logged := logTo(t)
	un := spine.Install(&sinktest.Recorder{}, core.Observe, 0)
	assert.Equal(t, core.DefaultGrace, spine.Grace(core.Load()))
	defer spine.Install(&graceSink{d: time.Minute}, core.Observe, 0)()
	defer spine.Install(&graceSink{panic: true}, core.Observe, 0)()
	defer spine.Install(&graceSink{d: 50 * time.Millisecond}, core.Observe, 0)()
	un()
	assert.Equal(t, 50*time.Millisecond, spine.Grace(core.Load()), "the shortest grace; a sink that panics has no say")
	assert.Contains(t, logged.String(), "custody: sink panicked in CancelGrace")
}

type flushSink struct {
	sinktest.Recorder
	flushes atomic.Int32
	bad     bool
}

func (s *flushSink) Flush(context.Context) {
	s.flushes.Add(1)
	if s.bad {
		panic("flush bug")
	}
}

func TestFlush(t *testing.T) {
	logged := logTo(t)
	bad, good := &flushSink{bad: true}, &flushSink{}
	defer spine.Install(bad, core.Observe, 0)()
	defer spine.Install(&sinktest.Recorder{}, core.Observe, 0)()
	defer spine.Install(good, core.Observe, 0)()
	require.NotPanics(t, func() { spine.Flush(core.Load(), t.Context()) })
	assert.Equal(t, int32(1), bad.flushes.Load())
	assert.Equal(t, int32(1), good.flushes.Load(), "every sink that can is flushed, past one that panics")
	assert.Contains(t, logged.String(), "custody: sink panicked in Flush")
}

//go:noinline
func callerOfHelper() custody.Site { return helperSite() }

//go:noinline
func helperSite() custody.Site { return spine.Caller(1) }

func inlinedHelper() custody.Site { return spine.Caller(1) }

func TestCaller(t *testing.T) {
	assert.Equal(t, "github.com/custody-go/custody/internal/spine_test.callerOfHelper", callerOfHelper().Frame().Function)
	assert.Equal(t, "github.com/custody-go/custody/internal/spine_test.TestCaller", inlinedHelper().Frame().Function,
		"inlining must not shift what Caller(1) names")
	st := spine.Callers(0)
	assert.True(t, strings.HasPrefix(st.String(), "github.com/custody-go/custody/internal/spine_test.TestCaller\n"), st.String())
}

func TestOffAllocatesNothing(t *testing.T) {
	ev := custody.Event{Kind: custody.ChanClosed}
	allocs := testing.AllocsPerRun(1000, func() {
		if spine.Mode() != core.Off {
			spine.Emit(context.Background(), &ev)
		}
	})
	assert.Zero(t, allocs)
}

// TestInstallModel applies random sequences of installs and uninstalls of
// sinks of every sort — observe and verify, with and without the optional
// methods, the same sink twice, uninstalls called twice and in any order —
// and checks after each step that every installed sink receives each event
// once, no removed one does, and the mode is the strongest installed.
func TestInstallModel(t *testing.T) {
	require.Nil(t, core.Load(), "no sink may be left installed by another test")
	var logged countHandler
	logger := slog.New(&logged)
	type installed struct {
		sink      int // index in sinks
		mode      core.Mode
		uninstall func()
	}
	a, b, c := &countSink{}, &countSink{}, &countSink{}
	sinks := []custody.Sink{a, b, &startingSink{c}, custody.NewLogSink(logger)}
	counts := []func() int{
		func() int { return a.n }, func() int { return b.n }, func() int { return c.n },
		func() int { return int(logged.n.Load()) },
	}
	reset := func() { a.n, b.n, c.n = 0, 0, 0; logged.n.Store(0) }
	rng := rand.New(rand.NewPCG(1, 2))
	sequences := 10_000
	if testing.Short() {
		sequences = 1000
	}
	for seq := range sequences {
		var live []installed
		for step := range 12 {
			if len(live) > 0 && rng.IntN(3) == 0 {
				i := rng.IntN(len(live))
				live[i].uninstall()
				if rng.IntN(4) == 0 {
					live[i].uninstall() // idempotent
				}
				live = append(live[:i], live[i+1:]...)
			} else {
				i := rng.IntN(len(sinks)) // sometimes one already installed
				mode := core.Observe + core.Mode(rng.IntN(2))
				var un func()
				if mode == core.Observe && rng.IntN(2) == 0 {
					un = custody.Install(sinks[i])
				} else {
					un = spine.Install(sinks[i], mode, 0)
				}
				live = append(live, installed{i, mode, un})
			}
			want := map[int]bool{}
			mode := core.Off
			for _, in := range live {
				want[in.sink] = true
				mode = max(mode, in.mode)
			}
			require.Equal(t, mode, spine.Mode(), "sequence %d step %d", seq, step)
			reset()
			spine.Emit(context.Background(), &custody.Event{Kind: custody.ChanDoubleClose}) // logged at error level
			for i, n := range counts {
				if want[i] {
					require.Equal(t, 1, n(), "sequence %d step %d: installed sink %d gets each event once", seq, step, i)
				} else {
					require.Zero(t, n(), "sequence %d step %d: sink %d, not installed, gets nothing", seq, step, i)
				}
			}
		}
		for _, in := range live {
			in.uninstall()
		}
		require.Nil(t, core.Load())
	}
}

type countSink struct{ n int }

func (s *countSink) Emit(context.Context, custody.Event) { s.n++ }

type startingSink struct{ *countSink }

func (s *startingSink) StartGoroutine(ctx context.Context, _ *custody.Goroutine) context.Context {
	return ctx
}

// countHandler is a slog.Handler that counts records.
type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

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
			if spine.Mode() != core.Off {
				spine.Emit(ctx, &ev)
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
		defer spine.Install(&countSink{}, core.Observe, 0)()
		run(b)
	})
}
