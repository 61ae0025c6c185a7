package safego_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/safego"
)

// group is the API safego.Group shares with errgroup.Group, members taking
// their context as an argument.
type group interface {
	Go(fn func(context.Context) error)
	TryGo(fn func(context.Context) error) bool
	SetLimit(n int)
	Wait() error
}

// reference adapts an errgroup.Group: the behaviour safego.Group must match.
type reference struct {
	g   *errgroup.Group
	ctx context.Context
}

func (r reference) Go(fn func(context.Context) error) { r.g.Go(func() error { return fn(r.ctx) }) }
func (r reference) TryGo(fn func(context.Context) error) bool {
	return r.g.TryGo(func() error { return fn(r.ctx) })
}
func (r reference) SetLimit(n int) { r.g.SetLimit(n) }
func (r reference) Wait() error    { return r.g.Wait() }

type owned struct{ g *safego.Group }

func (o owned) Go(fn func(context.Context) error)         { o.g.Go("member", fn) }
func (o owned) TryGo(fn func(context.Context) error) bool { return o.g.TryGo("member", fn) }
func (o owned) SetLimit(n int)                            { o.g.SetLimit(n) }
func (o owned) Wait() error                               { return o.g.Wait() }

// implementations returns errgroup.WithContext and safego.WithContext.
func implementations() map[string]func(context.Context) (group, context.Context) {
	return map[string]func(context.Context) (group, context.Context){
		"errgroup": func(ctx context.Context) (group, context.Context) {
			g, ctx := errgroup.WithContext(ctx)
			return reference{g, ctx}, ctx
		},
		"safego": func(ctx context.Context) (group, context.Context) {
			g, ctx := safego.WithContext(ctx, "group")
			return owned{g}, ctx
		},
	}
}

var (
	errFirst  = errors.New("first")
	errSecond = errors.New("second")
)

// TestGroupMatchesErrgroup runs each scenario against errgroup and
// safego.Group, in each mode, and expects the same results.
func TestGroupMatchesErrgroup(t *testing.T) {
	scenarios := map[string]func(t *testing.T, g group, gctx context.Context){
		"no error": func(t *testing.T, g group, gctx context.Context) {
			var n atomic.Int32
			for range 5 {
				g.Go(func(context.Context) error { n.Add(1); return nil })
			}
			assert.NoError(t, g.Wait())
			assert.Equal(t, int32(5), n.Load())
			assert.ErrorIs(t, gctx.Err(), context.Canceled, "Wait cancels the context")
		},
		"first error wins and cancels": func(t *testing.T, g group, gctx context.Context) {
			second := make(chan struct{})
			g.Go(func(context.Context) error { return errFirst })
			g.Go(func(ctx context.Context) error {
				<-ctx.Done() // the first error cancels the members' context
				close(second)
				return errSecond
			})
			<-second
			assert.ErrorIs(t, context.Cause(gctx), errFirst)
			assert.ErrorIs(t, g.Wait(), errFirst)
		},
		"limit": func(t *testing.T, g group, gctx context.Context) {
			g.SetLimit(1)
			release := make(chan struct{})
			g.Go(func(context.Context) error { <-release; return nil })
			assert.False(t, g.TryGo(func(context.Context) error { return nil }), "over the limit")
			started := make(chan struct{})
			go func() { // Go blocks until the first member returns
				g.Go(func(context.Context) error { close(started); return nil })
			}()
			synctest.Wait()
			select {
			case <-started:
				require.Fail(t, "Go started a member over the limit")
			default:
			}
			close(release)
			<-started
			assert.NoError(t, g.Wait())
			assert.True(t, g.TryGo(func(context.Context) error { return nil }), "the slots are free again")
			assert.NoError(t, g.Wait())
		},
		"zero limit": func(t *testing.T, g group, gctx context.Context) {
			g.SetLimit(0)
			assert.False(t, g.TryGo(func(context.Context) error { return nil }))
			assert.NoError(t, g.Wait())
		},
		"negative limit is no limit": func(t *testing.T, g group, gctx context.Context) {
			g.SetLimit(1)
			g.SetLimit(-1)
			release := make(chan struct{})
			for range 10 {
				assert.True(t, g.TryGo(func(context.Context) error { <-release; return nil }))
			}
			close(release)
			assert.NoError(t, g.Wait())
		},
		"limit changed while active": func(t *testing.T, g group, gctx context.Context) {
			g.SetLimit(2)
			release := make(chan struct{})
			g.Go(func(context.Context) error { <-release; return nil })
			assert.Panics(t, func() { g.SetLimit(3) })
			close(release)
			assert.NoError(t, g.Wait())
		},
	}
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode != core.Off {
				install(t, mode)
			}
			for name, scenario := range scenarios {
				for impl, withContext := range implementations() {
					t.Run(name+"/"+impl, func(t *testing.T) {
						synctest.Test(t, func(t *testing.T) {
							g, gctx := withContext(t.Context())
							scenario(t, g, gctx)
						})
					})
				}
			}
		})
	}
}

func TestGroupSetLimitMessage(t *testing.T) {
	g, _ := safego.WithContext(t.Context(), "crawl")
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go("fetch", func(context.Context) error { <-release; return nil })
	assert.PanicsWithValue(t, `safego: SetLimit(2) called while group "crawl" has 1 active member`,
		func() { g.SetLimit(2) })
	close(release)
	require.NoError(t, g.Wait())
	g.SetLimit(2) // no member is active any more

	var zero safego.Group
	zero.SetLimit(1)
	release = make(chan struct{})
	zero.Go("fetch", func(context.Context) error { <-release; return nil })
	assert.PanicsWithValue(t, `safego: SetLimit(3) called while the group has 1 active member`,
		func() { zero.SetLimit(3) })
	zero.SetLimit(-1) // lifting the limit is allowed, as in errgroup
	close(release)
	require.NoError(t, zero.Wait())
}

// TestGroupSetLimitWithoutLimit sets a first limit while a member runs:
// errgroup accepts that and its member then waits forever for a slot it
// never took; the Group panics instead, and the member still ends.
func TestGroupSetLimitWithoutLimit(t *testing.T) {
	g, _ := safego.WithContext(t.Context(), "crawl")
	release := make(chan struct{})
	g.Go("fetch", func(context.Context) error { <-release; return nil })
	assert.PanicsWithValue(t, `safego: SetLimit(1) called while group "crawl" has 1 active member`,
		func() { g.SetLimit(1) })
	close(release)
	require.NoError(t, g.Wait())
}

// TestGroupLimitAfterError: under a limit, the member that waited for a
// failed member's slot starts with the group's context already canceled,
// as errgroup's would.
func TestGroupLimitAfterError(t *testing.T) {
	for range 200 {
		g, ctx := safego.WithContext(t.Context(), "crawl")
		g.SetLimit(1)
		g.Go("a", func(context.Context) error { return errFirst })
		var live error
		g.Go("b", func(ctx context.Context) error { live = ctx.Err(); return nil })
		require.ErrorIs(t, g.Wait(), errFirst)
		require.ErrorIs(t, live, context.Canceled, "b started before a's error canceled the group")
		require.ErrorIs(t, context.Cause(ctx), errFirst)
	}
}

func TestGroupMembersAreOwned(t *testing.T) {
	r := install(t, core.Verify)
	ctx, test := root(t)
	g, gctx := safego.WithContext(ctx, "crawl")
	assert.Same(t, test, custody.FromContext(gctx), "the group's context keeps the caller's identity")

	members := make(chan *custody.Goroutine, 2)
	goLine := line() + 1
	g.Go("fetch", func(ctx context.Context) error { members <- custody.FromContext(ctx); return nil })
	tryLine := line() + 1
	require.True(t, g.TryGo("parse", func(ctx context.Context) error { members <- custody.FromContext(ctx); return nil }))
	require.NoError(t, g.Wait())
	close(members)

	byName := map[string]*custody.Goroutine{}
	for m := range members {
		byName[m.Name] = m
	}
	fetch, parse := byName["fetch"], byName["parse"]
	require.NotNil(t, fetch)
	require.NotNil(t, parse)
	assert.Equal(t, "fetch ← crawl ← "+t.Name(), fetch.Chain())
	assert.Same(t, fetch.Parent, parse.Parent, "one group record is the parent of every member")
	assert.Same(t, test, fetch.Parent.Parent)
	assert.Equal(t, goLine, fetch.Spawn.Frame().Line, "the spawn site is the call to Group.Go")
	assert.Equal(t, tryLine, parse.Spawn.Frame().Line, "the spawn site is the call to Group.TryGo")
	assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, kinds(r, "fetch"))
	spawned := event(t, r, "fetch", custody.GoroutineSpawned)
	require.NotEmpty(t, spawned.Stack)
	assert.Equal(t, uintptr(fetch.Spawn), spawned.Stack[0])
}

func TestGroupTryGoRefusedReportsNothing(t *testing.T) {
	r := install(t, core.Observe)
	g, _ := safego.WithContext(t.Context(), "full")
	g.SetLimit(0)
	assert.False(t, g.TryGo("refused", func(context.Context) error { return nil }))
	require.NoError(t, g.Wait())
	assert.Empty(t, kinds(r, "refused"))
}

// TestGroupPanic shows the position written on Group: the first member
// panic cancels the others and Wait re-raises it with the member's stack, in
// every mode; observe and verify mode also report it as an event.
func TestGroupPanic(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			var r *recorder
			if mode != core.Off {
				r = install(t, mode)
			}
			g, gctx := safego.WithContext(t.Context(), "crawl")
			g.Go("fetch", func(context.Context) error { panicker(); return nil })
			causes := make(chan error, 1)
			g.Go("parse", func(ctx context.Context) error {
				<-ctx.Done() // cancelled by the panic
				causes <- context.Cause(ctx)
				return ctx.Err()
			})

			var pe *safego.PanicError
			v := recoverFrom(func() { _ = g.Wait() })
			require.IsType(t, pe, v, "Wait panics with a *PanicError")
			pe = v.(*safego.PanicError)
			assert.Equal(t, "boom", pe.Value, "the original value")
			assert.Equal(t, "fetch", pe.Name)
			assert.Equal(t, "crawl", pe.Group)
			assert.Zero(t, pe.Others)
			require.NotEmpty(t, pe.Stack)
			assert.True(t, strings.HasSuffix(pe.Stack.Frames()[0].Function, "safego_test.panicker"), "%s", pe.Stack)
			assert.True(t, strings.HasPrefix(pe.Error(), `safego: member "fetch" of group "crawl" panicked: boom`+"\n"), pe.Error())
			assert.Contains(t, pe.Error(), "safego/go_test.go:", "the message holds the member's stack")

			cause := <-causes
			var causePE *safego.PanicError
			require.ErrorAs(t, cause, &causePE, "the panic cancelled the other members")
			assert.Equal(t, "fetch", causePE.Name)
			assert.ErrorIs(t, context.Cause(gctx), cause)

			if mode == core.Off {
				assert.Nil(t, pe.Goroutine, "off mode makes no record")
				return
			}
			require.NotNil(t, pe.Goroutine)
			assert.Equal(t, "fetch ← crawl", pe.Goroutine.Chain())
			assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutinePanicked, custody.GoroutineExited},
				kinds(r, "fetch"))
			p := event(t, r, "fetch", custody.GoroutinePanicked)
			assert.Equal(t, "boom", p.Value)
			assert.Equal(t, pe.Stack, p.Stack)
		})
	}
}

func TestGroupPanicFirstWins(t *testing.T) {
	r := install(t, core.Verify)
	g, _ := safego.WithContext(t.Context(), "crawl")
	g.Go("a", func(context.Context) error { panic("first") })
	// The group's context is cancelled once a's panic is recorded.
	g.Go("b", func(ctx context.Context) error { <-ctx.Done(); panic("second") })
	g.Go("c", func(ctx context.Context) error { <-ctx.Done(); return errFirst })
	v := recoverFrom(func() { _ = g.Wait() })
	pe, ok := v.(*safego.PanicError)
	require.True(t, ok, "%#v", v)
	assert.Equal(t, "first", pe.Value)
	assert.Equal(t, 1, pe.Others)
	assert.Contains(t, pe.Error(), "panicked: first (and 1 later member panics)")
	assert.Equal(t, "second", event(t, r, "b", custody.GoroutinePanicked).Value, "the later panic is reported as an event")
	assert.Panics(t, func() { _ = g.Wait() }, "every Wait re-raises it")
}

// flushCounter is a recorder that counts its flushes.
type flushCounter struct {
	*recorder
	flushes atomic.Int32
}

func (f *flushCounter) Flush(context.Context) { f.flushes.Add(1) }

func TestGroupPanicFlushesOnceInWait(t *testing.T) {
	f := &flushCounter{recorder: newRecorder(core.Observe, 0)}
	t.Cleanup(sinktest.Set(f))
	g, _ := safego.WithContext(t.Context(), "crawl")
	for _, name := range []string{"a", "b", "c"} {
		g.Go(name, func(context.Context) error { panic(name) })
	}
	v := recoverFrom(func() { _ = g.Wait() })
	require.IsType(t, &safego.PanicError{}, v)
	assert.Equal(t, 2, v.(*safego.PanicError).Others)
	assert.Equal(t, int32(1), f.flushes.Load(),
		"the members' panics are recovered: the sink is flushed once, by Wait, before it panics")
}

func TestGroupPanicErrorUnwraps(t *testing.T) {
	read, _ := safego.WithContext(t.Context(), "reader")
	read.Go("read", func(context.Context) error { panic(io.ErrUnexpectedEOF) })
	v := recoverFrom(func() { _ = read.Wait() })
	require.IsType(t, &safego.PanicError{}, v)
	assert.ErrorIs(t, v.(*safego.PanicError), io.ErrUnexpectedEOF)

	send, _ := safego.WithContext(t.Context(), "sender")
	send.Go("send", func(context.Context) error {
		ch := make(chan int)
		close(ch)
		ch <- 1
		return nil
	})
	v = recoverFrom(func() { _ = send.Wait() })
	require.IsType(t, &safego.PanicError{}, v)
	var rerr runtime.Error
	require.ErrorAs(t, v.(*safego.PanicError), &rerr, "a runtime panic in a member")
	assert.EqualError(t, rerr, "send on closed channel")

	assert.Nil(t, (&safego.PanicError{Value: "not an error"}).Unwrap())
}

func TestZeroGroup(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode != core.Off {
				install(t, mode)
			}
			var g safego.Group
			g.SetLimit(2)
			ctxs := make(chan context.Context, 2)
			g.Go("a", func(ctx context.Context) error { ctxs <- ctx; return errFirst })
			require.True(t, g.TryGo("b", func(ctx context.Context) error { ctxs <- ctx; return nil }))
			assert.ErrorIs(t, g.Wait(), errFirst)
			close(ctxs)
			for ctx := range ctxs {
				require.NotNil(t, ctx)
				assert.NoError(t, ctx.Err(), "a zero Group does not cancel on error")
				rec := custody.FromContext(ctx)
				if mode == core.Off {
					assert.Nil(t, rec)
					continue
				}
				require.NotNil(t, rec)
				assert.Nil(t, rec.Parent, "a zero Group's members have no parent record")
			}
			g.Go("panics", func(context.Context) error { panic("boom") })
			assert.Panics(t, func() { _ = g.Wait() }, "a zero Group re-raises panics too")
		})
	}
}

// TestGroupWatch shows that members get the same context watch as Go.
func TestGroupWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := install(t, core.Verify)
		g, _ := safego.WithContext(t.Context(), "crawl")
		g.Go("fail", func(context.Context) error { return errFirst })
		g.Go("slow", func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond)
			return nil
		})
		assert.ErrorIs(t, g.Wait(), errFirst)
		synctest.Wait()
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineExited},
			kinds(r, "slow"))
		assert.Equal(t, 20*time.Millisecond, event(t, r, "slow", custody.GoroutineExited).Latency)
	})
}

// recoverFrom calls fn and returns what it panicked with.
func recoverFrom(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// blockingFlush is a sink whose Flush ignores its context and returns only
// when release is closed.
type blockingFlush struct{ release chan struct{} }

func (blockingFlush) Emit(context.Context, custody.Event) {}
func (f blockingFlush) Flush(context.Context)             { <-f.release }

// TestGroupWaitPastAStuckFlush: Wait raises a member's panic even when the
// sink's Flush hangs; safego bounds the flush to two seconds (fake time).
func TestGroupWaitPastAStuckFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := blockingFlush{make(chan struct{})}
		defer close(f.release) // the abandoned Flush returns before the bubble ends
		defer sinktest.Set(f)()
		g, _ := safego.WithContext(t.Context(), "crawl")
		g.Go("a", func(context.Context) error { panic("boom") })
		start := time.Now()
		v := recoverFrom(func() { _ = g.Wait() })
		require.IsType(t, &safego.PanicError{}, v)
		assert.Equal(t, 2*time.Second, time.Since(start), "Wait gave the flush two seconds, no more")
	})
}

// TestGroupWaitWaitsForGoBlockedOnLimit is issue 13's item 2: a Go waiting
// for a slot when Wait starts is waited for, and its member's panic is
// raised by Wait, not dropped. Before the fix Wait returned nil, the member
// ran after it, and the race detector flagged Go against Wait.
func TestGroupWaitWaitsForGoBlockedOnLimit(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if mode != core.Off {
					install(t, mode)
				}
				g, _ := safego.WithContext(t.Context(), "limited")
				g.SetLimit(1)
				release := make(chan struct{})
				g.Go("a", func(context.Context) error { <-release; return nil })
				go g.Go("b", func(context.Context) error { panic("lost") })
				synctest.Wait() // b's Go is blocked on the limit
				close(release)
				v := recoverFrom(func() { _ = g.Wait() })
				pe, ok := v.(*safego.PanicError)
				require.True(t, ok, "Wait must raise b's panic, got %#v", v)
				assert.Equal(t, "b", pe.Name)
				assert.Equal(t, "lost", pe.Value)
			})
		})
	}
}
