package chanown_test

import (
	"context"
	"errors"
	"runtime/pprof"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/waits"
)

// identity returns a copy of ctx carrying a fresh root record named name.
func identity(ctx context.Context, name string) (context.Context, *custody.Goroutine) {
	g := spine.NewGoroutine(nil, name, spine.Caller(1))
	return spine.WithRecord(ctx, g), g
}

func TestMake(t *testing.T) {
	r := sinktest.Install(t, core.Verify)
	ctx, owner := identity(t.Context(), "owner")

	c, here := chanown.Make[int](ctx, "results", 3), spine.Caller(0)

	assert.Equal(t, "results", c.Name())
	assert.Equal(t, 3, c.Cap())
	assert.Equal(t, 0, c.Len())
	assert.Same(t, owner, c.Owner())
	es := r.Take()
	require.Len(t, es, 1)
	e := es[0]
	assert.Equal(t, custody.ChanMade, e.Kind)
	assert.Equal(t, "results", e.Object)
	assert.Same(t, owner, e.Owner)
	assert.Same(t, owner, e.Goroutine)
	assert.Equal(t, here.String(), e.Made.String())
	assert.Equal(t, here.String(), e.Site.String())
	require.NotEmpty(t, e.Stack, "verify mode records the stack")
	assert.Equal(t, "github.com/custody-go/custody/chanown_test.TestMake", e.Stack.Frames()[0].Function)
}

func TestMakeObserveHasNoStack(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	chanown.Make[int](t.Context(), "x", 0)
	es := r.Take()
	require.Len(t, es, 1)
	assert.Nil(t, es[0].Owner, "t.Context() carries no identity: the channel is unowned")
	assert.False(t, (es[0].Made == 0))
	assert.Empty(t, es[0].Stack)
}

func TestMakeOff(t *testing.T) {
	ctx, owner := identity(t.Context(), "owner")
	c := chanown.Make[string](ctx, "x", 1)
	assert.Same(t, owner, c.Owner(), "the owner is kept even with custody off")
}

func TestSendRecv(t *testing.T) {
	ctx := t.Context()
	c := chanown.Make[int](ctx, "x", 2)
	require.NoError(t, c.Send(ctx, 1))
	ok, err := c.TrySend(2)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = c.TrySend(3)
	require.NoError(t, err)
	assert.False(t, ok, "TrySend on a full channel")
	assert.Equal(t, 2, c.Len())

	v, ok, err := c.Recv(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, v)

	require.NoError(t, c.Close(ctx))
	v, ok, err = c.Recv(ctx)
	require.NoError(t, err)
	assert.True(t, ok, "values sent before close are still received")
	assert.Equal(t, 2, v)
	v, ok, err = c.Recv(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "closed and drained")
	assert.Zero(t, v)
}

func TestRange(t *testing.T) {
	ctx := t.Context()
	c := chanown.Make[int](ctx, "x", 0)
	var got []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range c.C() {
			got = append(got, v)
		}
	}()
	for i := range 5 {
		require.NoError(t, c.Send(ctx, i))
	}
	require.NoError(t, c.Close(ctx))
	<-done
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
}

func TestSendAfterClose(t *testing.T) {
	r := sinktest.Install(t, core.Verify)
	ownerCtx, owner := identity(t.Context(), "owner")
	senderCtx, sender := identity(t.Context(), "sender")
	c := chanown.Make[int](ownerCtx, "results", 1)
	require.NoError(t, c.Close(ownerCtx))
	closeSite := r.Take()[1].Site

	err, here := c.Send(senderCtx, 1), spine.Caller(0)

	require.ErrorIs(t, err, chanown.ErrClosed)
	var ce *chanown.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "results", ce.Chan)
	assert.Equal(t, "send", ce.Op)
	assert.Same(t, owner, ce.Closer)
	assert.Equal(t, closeSite, ce.CloseSite)
	assert.Equal(t, here.String(), ce.Site.String())
	assert.False(t, ce.ClosedAt.IsZero())
	assert.False(t, ce.Time.Before(ce.ClosedAt))

	es := r.Take()
	require.Equal(t, []custody.Kind{custody.ChanSendAfterClose}, sinktest.Kinds(es))
	e := es[0]
	assert.Same(t, sender, e.Goroutine)
	assert.Same(t, owner, e.Owner)
	assert.Same(t, owner, e.Earlier.Goroutine)
	assert.Equal(t, closeSite, e.Earlier.Site)
	assert.Equal(t, ce.ClosedAt, e.Earlier.Time)
	assert.Equal(t, ce.Site, e.Site)
	require.NotEmpty(t, e.Stack)
	assert.Equal(t, "github.com/custody-go/custody/chanown_test.TestSendAfterClose", e.Stack.Frames()[0].Function)

	ok, err, here := func() (bool, error, custody.Site) {
		ok, err := c.TrySend(2)
		return ok, err, spine.Caller(0)
	}()
	assert.False(t, ok)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, here.Frame().Line-1, ce.Site.Frame().Line, "TrySend's site is its caller")
	es = r.Take()
	require.Equal(t, []custody.Kind{custody.ChanSendAfterClose}, sinktest.Kinds(es))
	assert.Nil(t, es[0].Goroutine, "TrySend has no context")
}

func TestSendAfterCloseOff(t *testing.T) {
	ctx := t.Context()
	c := chanown.Make[int](ctx, "results", 1)
	require.NoError(t, c.Close(ctx))
	err := c.Send(ctx, 1)
	require.ErrorIs(t, err, chanown.ErrClosed)
	var ce *chanown.CloseError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.ClosedAt.IsZero(), "nothing is recorded with custody off")
	assert.True(t, (ce.Site == 0))
	assert.Equal(t, `chanown: send on closed channel "results" (closer not recorded: custody was off when it was closed; install a custody sink to record closers)`, err.Error())
}

func TestDoubleClose(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	ctx, owner := identity(t.Context(), "owner")
	c := chanown.Make[int](ctx, "results", 1)
	require.NoError(t, c.Close(ctx))
	first := r.Take()[1]
	require.Equal(t, custody.ChanClosed, first.Kind)

	err, here := c.Close(ctx), spine.Caller(0)

	require.ErrorIs(t, err, chanown.ErrClosed)
	var ce *chanown.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "close", ce.Op)
	assert.Equal(t, first.Site, ce.CloseSite, "the error names the first closer")
	assert.Same(t, owner, ce.Closer)
	assert.Equal(t, here.String(), ce.Site.String())
	es := r.Take()
	require.Equal(t, []custody.Kind{custody.ChanDoubleClose}, sinktest.Kinds(es))
	assert.Equal(t, first.Site, es[0].Earlier.Site)
	assert.Same(t, owner, es[0].Earlier.Goroutine)
	assert.Empty(t, es[0].Stack, "observe mode records no stacks")
}

func TestDoubleCloseOff(t *testing.T) {
	ctx := t.Context()
	c := chanown.Make[int](ctx, "results", 1)
	require.NoError(t, c.Close(ctx))
	err := c.Close(ctx)
	require.ErrorIs(t, err, chanown.ErrClosed)
	assert.Equal(t, `chanown: close of closed channel "results" (closer not recorded: custody was off when it was closed; install a custody sink to record closers)`, err.Error())
}

func TestCloseByNonOwner(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	ownerCtx, owner := identity(t.Context(), "owner")
	otherCtx, other := identity(t.Context(), "other")
	c := chanown.Make[int](ownerCtx, "results", 1)
	r.Take()

	received := make(chan bool)
	go func() {
		_, ok, _ := c.Recv(t.Context())
		received <- ok
	}()
	require.NoError(t, c.Close(otherCtx), "a close by a non-owner still closes")
	assert.False(t, <-received, "receivers are released")

	es := r.Take()
	require.Equal(t, []custody.Kind{custody.ChanClosed, custody.ChanCloseByNonOwner}, sinktest.Kinds(es))
	for _, e := range es {
		assert.Same(t, other, e.Goroutine)
		assert.Same(t, owner, e.Owner)
		assert.Equal(t, "results", e.Object)
	}
}

func TestCloseByOwnerOrOfUnownedIsNotReported(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	ownerCtx, _ := identity(t.Context(), "owner")
	otherCtx, _ := identity(t.Context(), "other")

	owned := chanown.Make[int](ownerCtx, "owned", 1)
	require.NoError(t, owned.Close(ownerCtx))
	unowned := chanown.Make[int](t.Context(), "unowned", 1)
	require.NoError(t, unowned.Close(otherCtx))

	assert.Equal(t, []custody.Kind{custody.ChanMade, custody.ChanClosed, custody.ChanMade, custody.ChanClosed}, sinktest.Kinds(r.Take()))
}

func TestHandoff(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	ownerCtx, owner := identity(t.Context(), "owner")
	producerCtx, producer := identity(t.Context(), "producer")
	c := chanown.Make[int](ownerCtx, "results", 1)
	r.Take()

	c.Handoff(ownerCtx, producerCtx)

	assert.Same(t, producer, c.Owner())
	es := r.Take()
	require.Equal(t, []custody.Kind{custody.ChanHandoff}, sinktest.Kinds(es))
	assert.Same(t, owner, es[0].Goroutine)
	assert.Same(t, owner, es[0].Owner, "Owner is the previous owner")
	assert.Same(t, producer, es[0].NewOwner, "NewOwner is the new owner")
	assert.Equal(t, "github.com/custody-go/custody/chanown_test.TestHandoff", es[0].Site.Frame().Function)

	require.NoError(t, c.Close(producerCtx))
	assert.Equal(t, []custody.Kind{custody.ChanClosed}, sinktest.Kinds(r.Take()), "the new owner's close is legitimate")
}

func TestHandoffByNonOwner(t *testing.T) {
	r := sinktest.Install(t, core.Observe)
	ownerCtx, owner := identity(t.Context(), "owner")
	otherCtx, other := identity(t.Context(), "other")
	producerCtx, producer := identity(t.Context(), "producer")
	c := chanown.Make[int](ownerCtx, "results", 1)
	r.Take()

	c.Handoff(otherCtx, producerCtx)

	assert.Same(t, producer, c.Owner(), "a handoff by a non-owner still takes effect")
	es := r.Take()
	require.Equal(t, []custody.Kind{custody.ChanHandoff}, sinktest.Kinds(es))
	assert.Same(t, other, es[0].Goroutine, "the event shows who handed off...")
	assert.Same(t, owner, es[0].Owner, "...and that it was not the owner")

	c.Handoff(producerCtx, t.Context())
	assert.Nil(t, c.Owner(), "a handoff to a context without identity leaves the channel unowned")
}

func TestHandoffOff(t *testing.T) {
	ownerCtx, _ := identity(t.Context(), "owner")
	producerCtx, producer := identity(t.Context(), "producer")
	c := chanown.Make[int](ownerCtx, "results", 1)
	c.Handoff(ownerCtx, producerCtx)
	assert.Same(t, producer, c.Owner())
}

func TestBlockedSendReleasedByClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		c := chanown.Make[int](ctx, "x", 1)
		require.NoError(t, c.Send(ctx, 1))
		errc := make(chan error)
		go func() { errc <- c.Send(ctx, 2) }()
		synctest.Wait() // the sender is blocked on the full channel
		require.NoError(t, c.Close(ctx))
		require.ErrorIs(t, <-errc, chanown.ErrClosed)
		v, ok, err := c.Recv(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, 1, v, "only the value sent before close is received")
		_, ok, err = c.Recv(ctx)
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

func TestBlockedSendCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := chanown.Make[int](t.Context(), "x", 0)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := c.Send(ctx, 1)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, 0, c.Len())
		require.NoError(t, c.Close(t.Context()), "a canceled sender does not hold up Close")
	})
}

func TestBlockedRecvCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := chanown.Make[int](t.Context(), "x", 1)
		ctx, cancel := context.WithCancelCause(t.Context())
		errc := make(chan error)
		go func() {
			v, ok, err := c.Recv(ctx)
			assert.Zero(t, v)
			assert.False(t, ok)
			errc <- err
		}()
		synctest.Wait()
		cancel(errors.New("shutting down"))
		require.ErrorIs(t, <-errc, context.Canceled, "Recv returns ctx.Err(), not the cause")
	})
}

func TestBlockedRecvReleasedByClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		c := chanown.Make[int](ctx, "x", 0)
		okc := make(chan bool)
		go func() {
			_, ok, err := c.Recv(ctx)
			assert.NoError(t, err)
			okc <- ok
		}()
		synctest.Wait()
		require.NoError(t, c.Close(ctx))
		assert.False(t, <-okc)
	})
}

func TestDoneContextPrefersReadyOperation(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := chanown.Make[int](t.Context(), "x", 1)
	require.NoError(t, c.Send(ctx, 1), "a send that can complete at once does")
	require.ErrorIs(t, c.Send(ctx, 2), context.Canceled, "full: ctx's error")
	v, ok, err := c.Recv(ctx)
	require.NoError(t, err, "a ready value is received")
	assert.True(t, ok)
	assert.Equal(t, 1, v)
	_, ok, err = c.Recv(ctx)
	require.ErrorIs(t, err, context.Canceled, "empty: ctx's error")
	assert.False(t, ok)
	require.NoError(t, c.Close(t.Context()))
	require.ErrorIs(t, c.Send(ctx, 3), chanown.ErrClosed, "closed wins over a done ctx")
}

func TestWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinktest.Install(t, core.Verify)
		ownerCtx, owner := identity(t.Context(), "owner")
		senderCtx, sender := identity(t.Context(), "sender")
		receiverCtx, receiver := identity(t.Context(), "receiver")
		c, made := chanown.Make[int](ownerCtx, "results", 1), spine.Caller(0)
		require.NoError(t, c.Send(senderCtx, 1))

		_, ok := waits.Of(sender)
		assert.False(t, ok, "a send that did not block is not recorded")

		errc := make(chan error)
		go func() { errc <- c.Send(senderCtx, 2) }()
		time.Sleep(time.Second)
		synctest.Wait()
		w, ok := waits.Of(sender)
		require.True(t, ok)
		assert.Equal(t, "send", w.Op)
		assert.Equal(t, "results", w.Chan)
		assert.Equal(t, 1, w.Cap)
		assert.Equal(t, 1, w.Len)
		assert.Same(t, owner, w.Owner)
		assert.Equal(t, made.String(), w.Made.String())
		assert.False(t, w.Closed)
		assert.Equal(t, time.Second, time.Since(w.Since))

		v, _, err := c.Recv(ownerCtx)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		require.NoError(t, <-errc)
		_, ok = waits.Of(sender)
		assert.False(t, ok, "the record is gone once the send returns")

		_, _, err = c.Recv(ownerCtx) // drain
		require.NoError(t, err)
		go func() {
			_, _, err := c.Recv(receiverCtx)
			errc <- err
		}()
		synctest.Wait()
		w, ok = waits.Of(receiver)
		require.True(t, ok)
		assert.Equal(t, "recv", w.Op)
		assert.Equal(t, 0, w.Len)
		require.NoError(t, c.Close(ownerCtx))
		require.NoError(t, <-errc)
		_, ok = waits.Of(receiver)
		assert.False(t, ok)
	})
}

// Goroutines that share one record (raw goroutines started inside an
// owned one) each have their blocked operation kept: Waiting reports the
// latest to block of those still blocked, whichever returns first.
func TestWaitingSharedRecord(t *testing.T) {
	for _, first := range []string{"a", "b"} {
		t.Run(first+" returns first", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sinktest.Install(t, core.Verify)
				ctx, g := identity(t.Context(), "worker")
				chans := map[string]*chanown.Chan[int]{
					"a": chanown.Make[int](ctx, "a", 0),
					"b": chanown.Make[int](ctx, "b", 0),
				}
				returned := map[string]chan error{"a": make(chan error), "b": make(chan error)}
				for _, name := range []string{"a", "b"} { // a blocks, then b
					go func() {
						_, _, err := chans[name].Recv(ctx)
						returned[name] <- err
					}()
					synctest.Wait()
				}
				w, ok := waits.Of(g)
				require.True(t, ok)
				assert.Equal(t, "b", w.Chan, "the latest to block")

				second := map[string]string{"a": "b", "b": "a"}[first]
				require.NoError(t, chans[first].Send(ctx, 1))
				require.NoError(t, <-returned[first])
				w, ok = waits.Of(g)
				require.True(t, ok, "the recv on %q is still blocked", second)
				assert.Equal(t, second, w.Chan)

				require.NoError(t, chans[second].Close(ctx))
				require.NoError(t, <-returned[second])
				_, ok = waits.Of(g)
				assert.False(t, ok)
			})
		})
	}
}

func TestWaitingNeedsVerify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinktest.Install(t, core.Observe)
		ctx, g := identity(t.Context(), "receiver")
		c := chanown.Make[int](ctx, "x", 0)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, _ = c.Recv(ctx)
		}()
		synctest.Wait()
		_, ok := waits.Of(g)
		assert.False(t, ok, "observe mode keeps no waiting records")
		require.NoError(t, c.Close(ctx))
		<-done
	})
}

func TestSendRecvAllocs(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode != core.Off {
				sinktest.Install(t, mode)
			}
			ctx, _ := identity(t.Context(), "owner")
			c := chanown.Make[int](ctx, "x", 1)
			allocs := testing.AllocsPerRun(100, func() {
				_ = c.Send(ctx, 1)
				_, _, _ = c.Recv(ctx)
				_, _ = c.TrySend(1)
				_, _, _ = c.Recv(ctx)
			})
			assert.Zero(t, allocs, "a send and receive that do not block allocate nothing")
		})
	}
}

func TestBlockedSendAfterCloseSite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := sinktest.Install(t, core.Observe)
		ctx, sender := identity(t.Context(), "sender")
		c := chanown.Make[int](t.Context(), "x", 0)
		var (
			err  error
			here custody.Site
		)
		done := make(chan struct{})
		go func() {
			defer close(done)
			err, here = c.Send(ctx, 1), spine.Caller(0)
		}()
		synctest.Wait()
		require.NoError(t, c.Close(t.Context()))
		<-done
		var ce *chanown.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, here.String(), ce.Site.String(), "a send released by Close names its own call")
		es := r.Take()
		// The released sender and the closer emit concurrently: either order.
		require.ElementsMatch(t, []custody.Kind{custody.ChanMade, custody.ChanClosed, custody.ChanSendAfterClose}, sinktest.Kinds(es))
		var closed, after custody.Event
		for _, e := range es {
			switch e.Kind {
			case custody.ChanClosed:
				closed = e
			case custody.ChanSendAfterClose:
				after = e
			}
		}
		assert.Same(t, sender, after.Goroutine)
		assert.Equal(t, closed.Time, after.Earlier.Time, "the events agree on when the channel was closed")
		assert.False(t, after.Time.Before(closed.Time))
	})
}

// TestCRecordsItsTaker: in verify mode, C records which identity took the
// channel's receive side and where, for the oracle's report of a goroutine
// blocked in a range over it; in other modes it records nothing.
func TestCRecordsItsTaker(t *testing.T) {
	const id = 1 << 50 // no record has it
	labelled := pprof.Labels(core.LabelID, strconv.FormatUint(id, 10))
	c := chanown.Make[int](t.Context(), "jobs", 1)
	pprof.Do(t.Context(), labelled, func(context.Context) { _ = c.C() }) // off: nothing
	assert.Empty(t, waits.Taken(id))

	sinktest.Install(t, core.Verify)
	_, err := c.TrySend(1)
	require.NoError(t, err)
	pprof.Do(t.Context(), labelled, func(context.Context) {
		for range c.C() {
			break
		}
	})
	taken := waits.Taken(id)
	require.Len(t, taken, 1)
	assert.Equal(t, "jobs", taken[0].Chan)
	assert.Contains(t, taken[0].Site.String(), "chanown/chan_test.go:")
	waits.Forget(func(i uint64) bool { return i == id })
}
