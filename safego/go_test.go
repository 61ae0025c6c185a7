package safego_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/stack"
	"github.com/custody-go/custody/safego"
)

// line returns the line number of its caller.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// root returns t.Context() carrying a fresh identity named after the test.
func root(t *testing.T) (context.Context, *custody.Goroutine) {
	rec := spine.NewGoroutine(nil, t.Name(), spine.Caller(1))
	return spine.WithRecord(t.Context(), rec), rec
}

func TestBadInput(t *testing.T) {
	ctx := t.Context()
	nop := func(context.Context) {}
	nopErr := func(context.Context) error { return nil }
	var nilCtx context.Context
	g, _ := safego.WithContext(ctx, "group")
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"Go nil ctx", func() { safego.Go(nilCtx, "x", nop) }, "safego: Go called with a nil context"},
		{"Go empty name", func() { safego.Go(ctx, "", nop) }, "safego: Go called with an empty name"},
		{"Go nil fn", func() { safego.Go(ctx, "x", nil) }, "safego: Go called with a nil function"},
		{"AfterFunc nil ctx", func() { safego.AfterFunc(nilCtx, time.Second, "x", nop) }, "safego: AfterFunc called with a nil context"},
		{"AfterFunc empty name", func() { safego.AfterFunc(ctx, time.Second, "", nop) }, "safego: AfterFunc called with an empty name"},
		{"AfterFunc nil fn", func() { safego.AfterFunc(ctx, time.Second, "x", nil) }, "safego: AfterFunc called with a nil function"},
		{"WithContext nil ctx", func() { safego.WithContext(nilCtx, "g") }, "safego: WithContext called with a nil context"},
		{"WithContext empty name", func() { safego.WithContext(ctx, "") }, "safego: WithContext called with an empty name"},
		{"Group.Go empty name", func() { g.Go("", nopErr) }, "safego: Group.Go called with an empty name"},
		{"Group.Go nil fn", func() { g.Go("x", nil) }, "safego: Group.Go called with a nil function"},
		{"Group.TryGo empty name", func() { g.TryGo("", nopErr) }, "safego: Group.TryGo called with an empty name"},
		{"Group.TryGo nil fn", func() { g.TryGo("x", nil) }, "safego: Group.TryGo called with a nil function"},
	}
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode != core.Off {
				install(t, mode)
			}
			for _, tt := range tests {
				assert.PanicsWithValue(t, tt.want, tt.call, tt.name)
			}
		})
	}
	require.NoError(t, g.Wait())

	// SetLimit while a member runs, and a member's panic raised by Wait.
	release := make(chan struct{})
	g.Go("busy", func(context.Context) error { <-release; return nil })
	assert.PanicsWithValue(t, `safego: SetLimit(1) called while group "group" has 1 active member`, func() { g.SetLimit(1) })
	close(release)
	require.NoError(t, g.Wait())
	g.Go("panics", func(context.Context) error { panic("boom") })
	v := recoverFrom(func() { _ = g.Wait() })
	require.IsType(t, &safego.PanicError{}, v)
	assert.True(t, strings.HasPrefix(v.(error).Error(), "safego: "), v.(error).Error())
}

func TestGoOff(t *testing.T) {
	require.Equal(t, core.Off, spine.Mode())
	ctx, parent := root(t)
	got := make(chan context.Context, 1)
	safego.Go(ctx, "off", func(ctx context.Context) { got <- ctx })
	gctx := <-got
	assert.Equal(t, ctx, gctx, "off mode passes ctx through untouched")
	assert.Same(t, parent, custody.FromContext(gctx), "no record is made")
}

func TestGoIdentity(t *testing.T) {
	r := install(t, core.Observe)
	type key struct{}
	ctx, parent := root(t)
	ctx = context.WithValue(ctx, key{}, "kept")

	type seen struct {
		rec     *custody.Goroutine
		value   any
		spawned bool
	}
	got := make(chan seen, 1)
	spawnLine := line() + 1
	safego.Go(ctx, "worker", func(ctx context.Context) {
		got <- seen{custody.FromContext(ctx), ctx.Value(key{}), len(r.Of("worker")) > 0}
	})
	s := <-got
	r.WaitFor(t, "worker", custody.GoroutineExited)

	require.NotNil(t, s.rec)
	assert.Equal(t, "worker", s.rec.Name)
	assert.Same(t, parent, s.rec.Parent)
	assert.NotZero(t, s.rec.ID)
	assert.False(t, s.rec.Start.IsZero())
	assert.Equal(t, spawnLine, s.rec.Spawn.Frame().Line, "the spawn site is the line that called Go")
	assert.True(t, strings.HasSuffix(s.rec.Spawn.Frame().File, "safego/go_test.go"), s.rec.Spawn.Frame().File)
	assert.Equal(t, "github.com/custody-go/custody/safego_test.TestGoIdentity", s.rec.Spawn.Frame().Function,
		"the spawn site is in the function that called Go, not in fn")
	assert.Equal(t, "kept", s.value, "ctx's values reach fn")
	assert.True(t, s.spawned, "spawned is reported before fn runs")

	assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, kinds(r, "worker"))
	spawned, exited := event(t, r, "worker", custody.GoroutineSpawned), event(t, r, "worker", custody.GoroutineExited)
	assert.Same(t, s.rec, spawned.Goroutine)
	assert.Equal(t, s.rec.Spawn, spawned.Site)
	assert.Nil(t, spawned.Stack, "observe mode captures no stack")
	assert.Zero(t, exited.Latency, "ctx was not done")
	assert.NoError(t, exited.Err)
}

func TestGoVerifyStack(t *testing.T) {
	r := install(t, core.Verify)
	safego.Go(t.Context(), "stacked", func(context.Context) {})
	spawned := r.WaitFor(t, "stacked", custody.GoroutineSpawned)
	r.WaitFor(t, "stacked", custody.GoroutineExited)
	require.NotEmpty(t, spawned.Stack, "verify mode captures the spawn stack")
	assert.Equal(t, uintptr(spawned.Site), spawned.Stack[0], "the stack starts at the spawn site")
	assert.Contains(t, spawned.Stack.String(), "TestGoVerifyStack")
}

func TestGoParentChain(t *testing.T) {
	install(t, core.Observe)
	ctx, test := root(t)
	got := make(chan *custody.Goroutine, 1)
	safego.Go(ctx, "a", func(ctx context.Context) {
		safego.Go(ctx, "b", func(ctx context.Context) {
			safego.Go(ctx, "c", func(ctx context.Context) {
				got <- custody.FromContext(ctx)
			})
		})
	})
	c := <-got
	require.NotNil(t, c.Parent)
	require.NotNil(t, c.Parent.Parent)
	b, a := c.Parent, c.Parent.Parent
	assert.Equal(t, "b", b.Name)
	assert.Equal(t, "a", a.Name)
	assert.Same(t, test, a.Parent)
	assert.Same(t, test, spine.Root(c))
	assert.Equal(t, "c ← b ← a ← "+t.Name(), c.Chain())
	assert.Less(t, a.ID, b.ID)
	assert.Less(t, b.ID, c.ID)
}

// StartGoroutine is how a sink (otelbridge: a span) adjusts the context
// an owned goroutine runs with.
type tagSink struct{ *recorder }

type tagKey struct{}

func (s *tagSink) StartGoroutine(ctx context.Context, g *custody.Goroutine) context.Context {
	return context.WithValue(ctx, tagKey{}, "span of "+custody.FromContext(ctx).Name+" for "+g.Name)
}

func TestGoSinkContext(t *testing.T) {
	s := &tagSink{newRecorder(core.Observe, 0)}
	t.Cleanup(sinktest.Set(s))
	got := make(chan any, 1)
	safego.Go(t.Context(), "tagged", func(ctx context.Context) { got <- ctx.Value(tagKey{}) })
	assert.Equal(t, "span of tagged for tagged", <-got, "the sink sees the context carrying the new record")
	s.WaitFor(t, "tagged", custody.GoroutineExited)
}

// rawChild blocks in a raw goroutine started inside an owned one, so the
// goroutine dump can find it by this function's name.
func rawChild(ready chan<- struct{}, release <-chan struct{}) {
	ready <- struct{}{}
	<-release
}

// TestGoLabels: an owned goroutine and the raw goroutines it starts carry
// custody.name in observe mode, and custody.id too in verify mode, where the
// oracle reads it.
func TestGoLabels(t *testing.T) {
	// Labels printed in the dump, rather than joined from a profile by
	// stack, which cannot tell goroutines of one stack apart.
	t.Setenv("GODEBUG", "tracebacklabels=1")
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			r := install(t, mode)
			ready, release := make(chan struct{}), make(chan struct{})
			ids := make(chan uint64, 1)
			safego.Go(t.Context(), "labelled", func(ctx context.Context) {
				ids <- custody.FromContext(ctx).ID
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { // a raw go statement: it inherits the owned goroutine's labels
					defer wg.Done()
					rawChild(ready, release)
				}()
				wg.Wait()
			})
			id := <-ids
			<-ready
			gs := stack.Labelled()
			// What go tool pprof -tags reads: the goroutine profile's labels.
			var profile strings.Builder
			require.NoError(t, pprof.Lookup("goroutine").WriteTo(&profile, 1))
			close(release)
			r.WaitFor(t, "labelled", custody.GoroutineExited)

			want := map[string]string{"custody.name": "labelled"}
			if mode == core.Verify {
				want["custody.id"] = strconv.FormatUint(id, 10)
			}
			// By exact function: the previous subtest's raw child may still
			// be in its deferred wg.Done, in func1.1.1, which Has would take
			// for func1.1.
			var owner, child *stack.Goroutine
			for i, g := range gs {
				for _, f := range g.Frames {
					switch f.Func {
					case "github.com/custody-go/custody/safego_test.rawChild":
						child = &gs[i]
					case "github.com/custody-go/custody/safego_test.TestGoLabels.func1.1":
						if child != &gs[i] {
							owner = &gs[i]
						}
					}
				}
			}
			require.NotNil(t, child, "raw child not found")
			require.NotNil(t, owner, "owned goroutine not found")
			assert.Equal(t, want, owner.Labels)
			assert.Equal(t, want, child.Labels)
			assert.Contains(t, profile.String(), `"custody.name":"labelled"`)
		})
	}
}

func TestGoCancelLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := install(t, core.Verify)
		ctx, cancel := context.WithCancel(t.Context())
		safego.Go(ctx, "slow-to-stop", func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(300 * time.Millisecond) // cleanup that takes a while
		})
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned}, kinds(r, "slow-to-stop"))

		cancel()
		synctest.Wait()
		done := event(t, r, "slow-to-stop", custody.GoroutineContextDone)
		assert.ErrorIs(t, done.Err, context.Canceled)

		time.Sleep(time.Second)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineExited},
			kinds(r, "slow-to-stop"), "exited within the grace: not reported as ignoring cancellation")
		exited := event(t, r, "slow-to-stop", custody.GoroutineExited)
		assert.Equal(t, 300*time.Millisecond, exited.Latency, "cancel-to-exit latency")
		assert.ErrorIs(t, exited.Err, context.Canceled)
		assert.Equal(t, done.Time.Add(300*time.Millisecond), exited.Time)
	})
}

func TestGoContextDoneBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := install(t, core.Observe)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		safego.Go(ctx, "late", func(ctx context.Context) {
			time.Sleep(50 * time.Millisecond)
		})
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineExited},
			kinds(r, "late"))
		assert.Equal(t, 50*time.Millisecond, event(t, r, "late", custody.GoroutineExited).Latency)
	})
}

func TestGoIgnoredCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(core.Verify, 100*time.Millisecond)
		t.Cleanup(sinktest.Set(r))
		ctx, cancel := context.WithCancel(t.Context())
		release := make(chan struct{})
		safego.Go(ctx, "stubborn", func(context.Context) {
			<-release // never looks at ctx
		})
		cancel()
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		assert.NotContains(t, kinds(r, "stubborn"), custody.GoroutineIgnoredCancel, "still within the grace")

		time.Sleep(10 * time.Second)
		synctest.Wait()
		ignored := event(t, r, "stubborn", custody.GoroutineIgnoredCancel)
		assert.Equal(t, 100*time.Millisecond, ignored.Latency, "reported once the grace has passed")
		assert.ErrorIs(t, ignored.Err, context.Canceled)

		close(release)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{
			custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineIgnoredCancel, custody.GoroutineExited,
		}, kinds(r, "stubborn"), "ignored cancellation is reported once")
		assert.Equal(t, 10099*time.Millisecond, event(t, r, "stubborn", custody.GoroutineExited).Latency)
	})
}

// slowDone is a recorder that takes 50ms to receive a GoroutineContextDone
// event, as a sink writing to a slow destination might.
type slowDone struct{ *recorder }

func (s slowDone) Emit(ctx context.Context, e custody.Event) {
	if e.Kind == custody.GoroutineContextDone {
		time.Sleep(50 * time.Millisecond)
	}
	s.recorder.Emit(ctx, e)
}

func TestGoIgnoredCancelAfterSlowSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(core.Verify, 10*time.Millisecond)
		t.Cleanup(sinktest.Set(slowDone{r}))
		ctx, cancel := context.WithCancel(t.Context())
		release := make(chan struct{})
		safego.Go(ctx, "stubborn", func(context.Context) { <-release })
		cancel()
		time.Sleep(time.Second)
		synctest.Wait()
		close(release)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{
			custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineIgnoredCancel, custody.GoroutineExited,
		}, kinds(r, "stubborn"), "the sink gets context done before ignored cancellation, however long it takes")
		assert.Equal(t, 50*time.Millisecond, event(t, r, "stubborn", custody.GoroutineIgnoredCancel).Latency,
			"reported as soon as the sink has received context done, the grace having passed")
	})
}

func TestGoPanicVerify(t *testing.T) {
	r := install(t, core.Verify)
	spawnLine := line() + 1
	safego.Go(t.Context(), "panicker", func(context.Context) { panicker() })
	r.WaitFor(t, "panicker", custody.GoroutineExited)

	assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutinePanicked, custody.GoroutineExited},
		kinds(r, "panicker"), "verify mode reports the panic and does not crash")
	p := event(t, r, "panicker", custody.GoroutinePanicked)
	assert.Equal(t, "boom", p.Value)
	assert.Equal(t, spawnLine, p.Site.Frame().Line, "the event's site is the spawn site")
	require.NotEmpty(t, p.Stack)
	frames := p.Stack.Frames()
	assert.True(t, strings.HasSuffix(frames[0].Function, "safego_test.panicker"),
		"the stack starts where the panic happened: %s", p.Stack)
}

func panicker() { panic("boom") }

// TestGoGoexit covers the exit of a goroutine whose function does not
// return: runtime.Goexit runs the deferred calls only.
func TestGoGoexit(t *testing.T) {
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			r := install(t, mode)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			safego.Go(ctx, "quitter", func(context.Context) { runtime.Goexit() })
			exited := r.WaitFor(t, "quitter", custody.GoroutineExited)
			assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, kinds(r, "quitter"))
			assert.Zero(t, exited.Latency)
			assert.NoError(t, exited.Err)
		})
	}
}

func TestGoSendOnClosedChannel(t *testing.T) {
	r := install(t, core.Verify)
	ch := make(chan int, 1)
	close(ch)
	safego.Go(t.Context(), "sender", func(context.Context) {
		ch <- 1
	})
	p := r.WaitFor(t, "sender", custody.GoroutinePanicked)
	r.WaitFor(t, "sender", custody.GoroutineExited)
	err, ok := p.Value.(runtime.Error)
	require.True(t, ok, "the runtime's panic value: %#v", p.Value)
	assert.EqualError(t, err, "send on closed channel")
	assert.Contains(t, p.Stack.Frames()[0].Function, "TestGoSendOnClosedChannel",
		"the stack starts at the send, not in the runtime: %s", p.Stack)
}

// TestGoOffAllocs checks that off mode allocates what a go statement does.
func TestGoOffAllocs(t *testing.T) {
	ctx := t.Context()
	var wg sync.WaitGroup
	fn := func(context.Context) { wg.Done() }
	raw := testing.AllocsPerRun(200, func() {
		wg.Add(1)
		go fn(ctx)
		wg.Wait()
	})
	off := testing.AllocsPerRun(200, func() {
		wg.Add(1)
		safego.Go(ctx, "alloc", fn)
		wg.Wait()
	})
	assert.Equal(t, raw, off, "Go in off mode allocates %v per call, a go statement %v", off, raw)
}

// TestGoNoLeak checks that the context watch leaves nothing behind, whether
// the context is done or not: no goroutine, and no watch still registered
// on the context of a goroutine that returned before it was done.
func TestGoNoLeak(t *testing.T) {
	running := goleak.IgnoreCurrent()
	r := install(t, core.Verify)
	ctx, cancel := context.WithCancel(t.Context())
	safego.Go(ctx, "quick", func(context.Context) {})
	r.WaitFor(t, "quick", custody.GoroutineExited)
	safego.Go(ctx, "cancelled", func(ctx context.Context) { <-ctx.Done() })
	cancel()
	r.WaitFor(t, "cancelled", custody.GoroutineExited)
	goleak.VerifyNone(t, running) // also waits for the callbacks cancel started
	assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, kinds(r, "quick"),
		"the watch of a goroutine that returned is gone: cancel reports nothing about it")
}

// the subprocess half of TestGoPanicCrashes.
const crashEnv = "SAFEGO_TEST_CRASH_MODE"

func TestGoPanicCrashes(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe} {
		t.Run(mode.String(), func(t *testing.T) {
			stderr, err := runSelf(t, "TestGoPanicCrashHelper", crashEnv+"="+mode.String())
			var exit interface{ ExitCode() int }
			require.True(t, errors.As(err, &exit), "the process must crash: %v\n%s", err, stderr)
			assert.Equal(t, 2, exit.ExitCode(), "a Go panic exits with status 2:\n%s", stderr)

			crash := regexp.MustCompile(`(?m)^panic: boom( \[recovered, repanicked\])?$`)
			loc := crash.FindStringIndex(stderr)
			require.NotNil(t, loc, "the crash message is the original panic:\n%s", stderr)
			event := strings.Index(stderr, `sink: goroutine.panicked "crasher": boom`)
			if mode == core.Off {
				assert.Equal(t, -1, event, "off mode reports nothing")
				return
			}
			require.NotEqual(t, -1, event, "the event is delivered:\n%s", stderr)
			assert.Less(t, event, loc[0], "the event is delivered before the crash")
			flushed := strings.Index(stderr, "sink: flushed, with a deadline")
			require.NotEqual(t, -1, flushed, "the sink is flushed:\n%s", stderr)
			assert.Less(t, event, flushed, "after the event")
			assert.Less(t, flushed, loc[0], "before the crash")
			assert.Contains(t, stderr[loc[0]:], "safego_test.TestGoPanicCrashHelper",
				"the crash's stack shows where the panic happened")
		})
	}
}

// stderrSink prints each event's kind, goroutine and panic value to stderr.
type stderrSink struct{}

func (stderrSink) Emit(_ context.Context, e custody.Event) {
	fmt.Fprintf(stderrWriter, "sink: %v %q: %v\n", e.Kind, e.Goroutine.Name, e.Value)
}

func (stderrSink) Flush(ctx context.Context) {
	if _, ok := ctx.Deadline(); ok {
		fmt.Fprintln(stderrWriter, "sink: flushed, with a deadline")
	}
}

// stuckFlush is a sink whose Flush ignores its context and never returns.
type stuckFlush struct{}

func (stuckFlush) Emit(context.Context, custody.Event) {}
func (stuckFlush) Flush(context.Context)               { select {} }

// TestGoPanicCrashesPastAStuckFlush: a sink whose Flush hangs must not keep
// a panic from being raised again: safego bounds the flush itself.
func TestGoPanicCrashesPastAStuckFlush(t *testing.T) {
	start := time.Now()
	stderr, err := runSelf(t, "TestGoPanicCrashHelper", crashEnv+"=stuck-flush")
	var exit interface{ ExitCode() int }
	require.True(t, errors.As(err, &exit), "the process must crash: %v\n%s", err, stderr)
	assert.Equal(t, 2, exit.ExitCode(), stderr)
	assert.Regexp(t, `(?m)^panic: boom \[recovered, repanicked\]$`, stderr)
	assert.Less(t, time.Since(start), 30*time.Second, "the flush is bounded (2s)")
}

func TestGoPanicCrashHelper(t *testing.T) {
	mode := lookupEnv(crashEnv)
	if mode == "" {
		t.Skip("run by TestGoPanicCrashes in a subprocess")
	}
	switch mode {
	case core.Observe.String():
		sinktest.Set(stderrSink{}) // never restored: the process dies
	case "stuck-flush":
		sinktest.Set(stuckFlush{}) // never restored: the process dies
	}
	safego.Go(context.Background(), "crasher", func(context.Context) {
		panic("boom")
	})
	select {} // the panic ends the process
}
