package oracle

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/safego"
)

// The oracle's own tests run under the oracle with real testing.T values
// too, not only with the fake TB.

func TestRealParallelSubtests(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := Check(t)
			g, _ := safego.WithContext(ctx, "workers")
			results := chanown.Make[int](ctx, "results", 8)
			for i := range 8 {
				g.Go("worker", func(ctx context.Context) error { return results.Send(ctx, i) })
			}
			assert.NoError(t, g.Wait())
			assert.NoError(t, results.Close(ctx))
			n := 0
			for range results.C() {
				n++
			}
			assert.Equal(t, 8, n)
		})
	}
}

func TestSubtestVerdictsAreSeparate(t *testing.T) {
	var inner *fakeTB
	t.Run("outer", func(t *testing.T) {
		outer := newFake("TestOuter")
		ctx := Check(outer, Settle(50*time.Millisecond))
		release := make(chan struct{})
		t.Run("inner", func(t *testing.T) {
			inner = newFake("TestOuter/inner")
			Check(inner, Settle(50*time.Millisecond))
			go func() { <-release }() // the inner test's leak
			inner.finish()
		})
		safego.Go(ctx, "clean", func(ctx context.Context) { <-ctx.Done() })
		outer.finish()
		close(release)
		assert.Empty(t, outer.verdict(), "the inner test's leak is the inner test's")
	})
	assert.Contains(t, inner.verdict(), `started by a raw go statement in "TestOuter/inner"`)
}

func TestInsideSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := newFake("TestBubble")
		ctx := Check(fake, Settle(time.Minute), CancelGrace(time.Second))
		safego.Go(ctx, "ticker", func(ctx context.Context) {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					time.Sleep(5 * time.Second) // slow to stop, in fake time
					return
				case <-tick.C:
				}
			}
		})
		time.Sleep(10 * time.Second)
		start := time.Now()
		fake.finish()
		v := fake.verdict()
		assert.Contains(t, v, `goroutine "ticker" ignored its context`)
		assert.Contains(t, v, "still running 1s after its context was done")
		assert.Equal(t, 5*time.Second, time.Since(start).Round(time.Second), "the verdict waited in the bubble's fake time")
	})
}

// TestCheckWithoutWrappers: a test that starts only raw goroutines gets
// leak verdicts through the labels Check puts on its goroutine, which raw
// goroutines inherit; and its context carries an identity that safego, far
// down, builds on.
func TestCheckWithoutWrappers(t *testing.T) {
	fake := newFake("TestRawOnly")
	ctx := Check(fake, Settle(50*time.Millisecond))
	assert.Equal(t, "TestRawOnly", custody.FromContext(ctx).Name)
	release := make(chan struct{})
	defer close(release)
	go func() { <-release }() // leaks: a raw goroutine, known only by its labels
	started := make(chan struct{})
	go func() { // raw, then owned further down
		safego.Go(ctx, "deep", func(context.Context) { close(started); <-release })
	}()
	<-started
	fake.finish()
	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestRawOnly: 2 findings")
	assert.Contains(t, v, `started by a raw go statement in "TestRawOnly"`)
	assert.Contains(t, v, `leaked goroutine "deep"`)
	assert.Contains(t, v, "spawned at oracle/modes_test.go:")
	assert.Contains(t, v, "by TestRawOnly")
}
