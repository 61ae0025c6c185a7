package oracle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

func TestOwnedLeakNamesGoroutineChainAndChannel(t *testing.T) {
	fake := newFake("TestHandlePayment")
	ctx := Check(fake, Settle(200*time.Millisecond), CancelGrace(50*time.Millisecond))
	release := make(chan struct{})
	results := chanown.Make[int](ctx, "payment-results", 1)
	safego.Go(ctx, "handler", func(ctx context.Context) {
		safego.Go(ctx, "process-payment", func(ctx context.Context) {
			_ = results.Send(context.WithoutCancel(ctx), 1) // fills the buffer
			<-release                                       // ignores ctx: the bug
		})
	})
	time.Sleep(20 * time.Millisecond)
	fake.finish()
	close(release)

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestHandlePayment: 1 finding\n")
	assert.Contains(t, v, `leaked goroutine "process-payment" (running `)
	assert.Contains(t, v, `spawned at oracle/owned_test.go:`)
	assert.Contains(t, v, `by handler`)
	assert.Contains(t, v, "owner chain: process-payment ← handler ← TestHandlePayment")
	assert.Contains(t, v, "context done (context canceled) ")
	assert.Contains(t, v, "; the goroutine ignored it and did not return")
	assert.Contains(t, v, "blocked in github.com/custody-go/custody/oracle.TestOwnedLeakNamesGoroutineChainAndChannel")
	assert.NotContains(t, v, "ignored its context", "the ignored cancellation is folded into the leak")
}

func TestOwnedLeakBlockedOnChannel(t *testing.T) {
	fake := newFake("TestBlockedSend")
	ctx := Check(fake, Settle(100*time.Millisecond), CancelGrace(50*time.Millisecond))
	results := chanown.Make[int](ctx, "payment-results", 1)
	safego.Go(ctx, "process-payment", func(ctx context.Context) {
		bg := context.WithoutCancel(ctx) // the bug: a context nobody cancels
		_ = results.Send(bg, 1)
		_ = results.Send(bg, 2) // blocks: nobody receives
	})
	time.Sleep(20 * time.Millisecond)
	fake.finish()
	v := fake.verdict()
	_, _, _ = results.Recv(context.Background()) // lets the goroutine go
	assert.Contains(t, v, `leaked goroutine "process-payment"`)
	assert.Contains(t, v, `blocked in chanown.Send on "payment-results" (cap 1, len 1) for `)
	assert.Contains(t, v, `, at oracle/owned_test.go:50,`)
	assert.Contains(t, v, `owned by TestBlockedSend, made at oracle/owned_test.go:46, never closed`)
}

func TestIgnoredCancellation(t *testing.T) {
	fake := newFake("TestSlowStop")
	ctx := Check(fake, Settle(2*time.Second), CancelGrace(20*time.Millisecond))
	safego.Go(ctx, "slow-worker", func(ctx context.Context) {
		<-ctx.Done()
		time.Sleep(150 * time.Millisecond) // cleans up far too slowly
	})
	fake.finish()
	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestSlowStop: 1 finding")
	assert.Contains(t, v, `goroutine "slow-worker" ignored its context`)
	assert.Contains(t, v, "after its context was done (context canceled)")
}

func TestPanicBecomesFinding(t *testing.T) {
	fake := newFake("TestPanics")
	ctx := Check(fake, Settle(time.Second))
	safego.Go(ctx, "parser", func(context.Context) { panic(errors.New("bad input")) })
	raw := make(chan int)
	close(raw)
	safego.Go(ctx, "sender", func(context.Context) { raw <- 1 })
	fake.finish()
	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestPanics: 2 findings")
	assert.Contains(t, v, `panic in goroutine "parser": bad input`)
	assert.Contains(t, v, `send on closed channel (runtime panic) in goroutine "sender"`)
}

func TestChannelFindings(t *testing.T) {
	fake := newFake("TestChannels")
	ctx := Check(fake, Settle(time.Second))
	ch := chanown.Make[int](ctx, "results", 1)
	done := make(chan struct{})
	safego.Go(ctx, "consumer", func(ctx context.Context) {
		defer close(done)
		_ = ch.Close(ctx) // not the owner
	})
	<-done
	require.ErrorIs(t, ch.Send(ctx, 1), chanown.ErrClosed)
	require.Error(t, ch.Close(ctx))
	fake.finish()

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestChannels: 3 findings")
	assert.Contains(t, v, `channel "results" closed by "consumer", which does not own it`)
	assert.Contains(t, v, `send on closed channel "results"`)
	assert.Contains(t, v, `double close of channel "results"`)
	assert.Contains(t, v, `channel made at oracle/owned_test.go:`)
	assert.Contains(t, v, `owned by TestChannels`)
}

func TestHandoffByNonOwner(t *testing.T) {
	fake := newFake("TestHandoff")
	ctx := Check(fake, Settle(time.Second))
	ch := chanown.Make[int](ctx, "jobs", 1)
	done := make(chan struct{})
	safego.Go(ctx, "producer", func(pctx context.Context) {
		defer close(done)
		ch.Handoff(ctx, pctx) // the owner passes it on: fine
		ch.Handoff(ctx, pctx) // the test no longer owns it: a finding
		_ = ch.Close(pctx)    // the new owner closes: fine
	})
	<-done
	fake.finish()
	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestHandoff: 1 finding")
	assert.Contains(t, v, `channel "jobs" handed off by "TestHandoff", which does not own it`)
	assert.Contains(t, v, `to "producer"`)
}

func TestThousandOwnedGoroutinesClean(t *testing.T) {
	fake := newFake("TestThousand")
	ctx := Check(fake)
	g, gctx := safego.WithContext(ctx, "fan-out")
	for range 1000 {
		g.Go("worker", func(ctx context.Context) error {
			<-gctx.Done()
			return ctx.Err()
		})
	}
	safego.Go(ctx, "stopper", func(ctx context.Context) {
		<-ctx.Done()
	})
	fake.cancel()
	_ = g.Wait()
	fake.finish()
	assert.Empty(t, fake.verdict())
}
