package safego_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/safego"
)

// Each test runs in a synctest bubble, which returns only once every
// goroutine started in it has exited (a goroutine left blocked makes
// synctest.Test panic), and checks with goleak afterwards that nothing
// outside the bubble was left either.

func TestAfterFuncFires(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		r := install(t, core.Observe)
		ctx, test := root(t)
		start := time.Now()
		ran := make(chan *custody.Goroutine, 1)
		afterLine := line() + 1
		stop := safego.AfterFunc(ctx, time.Minute, "reminder", func(ctx context.Context) {
			ran <- custody.FromContext(ctx)
		})
		time.Sleep(59 * time.Second)
		synctest.Wait()
		assert.Empty(t, ran, "not yet")

		time.Sleep(time.Second)
		synctest.Wait()
		require.Len(t, ran, 1)
		rec := <-ran
		assert.Equal(t, time.Minute, rec.Start.Sub(start))
		assert.Equal(t, "reminder", rec.Name)
		assert.Same(t, test, rec.Parent)
		assert.Equal(t, afterLine, rec.Spawn.Frame().Line, "the spawn site is the call to AfterFunc")
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, r.kinds("reminder"))
		assert.False(t, stop(), "stop after the timer fired")
	})
}

func TestAfterFuncStop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		stop := safego.AfterFunc(t.Context(), time.Minute, "stopped", func(context.Context) { runs.Add(1) })
		time.Sleep(30 * time.Second)
		assert.True(t, stop(), "stop before the timer fired")
		assert.False(t, stop(), "a second stop")
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, runs.Load())
	})
}

func TestAfterFuncStoppedByContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		ctx, cancel := context.WithCancel(t.Context())
		stop := safego.AfterFunc(ctx, time.Minute, "request-timer", func(context.Context) { runs.Add(1) })
		time.Sleep(30 * time.Second)
		cancel()
		synctest.Wait()
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, runs.Load(), "ctx done first: fn never runs")
		assert.False(t, stop(), "ctx stopped the timer, not stop")
	})
}

func TestAfterFuncContextAlreadyDone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		stop := safego.AfterFunc(ctx, 0, "too-late", func(context.Context) { runs.Add(1) })
		assert.False(t, stop())
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Zero(t, runs.Load())
	})
}

func TestAfterFuncNow(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, d := range []time.Duration{0, -time.Second} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			ran := make(chan time.Time, 1)
			safego.AfterFunc(t.Context(), d, "now", func(context.Context) { ran <- time.Now() })
			synctest.Wait()
			require.Len(t, ran, 1, "d = %v runs fn at once", d)
			assert.Equal(t, start, <-ran)
		})
	}
}

// TestAfterFuncPerRequest is the incident in DESIGN.md: a timer set per
// request. With safego.AfterFunc, the requests' end releases every timer.
func TestAfterFuncPerRequest(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		for range 1000 {
			ctx, cancel := context.WithCancel(t.Context())
			safego.AfterFunc(ctx, time.Hour, "retry-reminder", func(context.Context) { runs.Add(1) })
			cancel() // the request ends
		}
		synctest.Wait()
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		assert.Zero(t, runs.Load())
	})
}
