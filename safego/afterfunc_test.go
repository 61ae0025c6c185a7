package safego_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"

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
		assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineExited}, kinds(r, "reminder"))
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
		payload := new([256]byte)
		held := weak.Make(payload)
		stop := safego.AfterFunc(ctx, time.Minute, "request-timer", func(context.Context) { payload[0]++; runs.Add(1) })
		time.Sleep(30 * time.Second)
		cancel()
		synctest.Wait()
		assert.True(t, released(held), "ctx being done released the timer and fn")
		assert.False(t, stop(), "ctx stopped the timer, not stop")
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, runs.Load(), "ctx done first: fn never runs")
	})
}

// released reports whether the value p points to was collected, running
// the garbage collector up to 100 times.
func released[T any](p weak.Pointer[T]) bool {
	for range 100 {
		if p.Value() == nil {
			return true
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	return p.Value() == nil
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

// TestAfterFuncPerRequest is the incident of a timer set per request: with
// safego.AfterFunc, the requests' end releases every timer and what its
// function holds, long before the timers would fire. (fn never running
// proves less: a timer left pending finds its context done when it fires,
// and does nothing.)
func TestAfterFuncPerRequest(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const requests = 1000
	var runs atomic.Int32
	held := make([]weak.Pointer[[256]byte], requests)
	for i := range requests {
		ctx, cancel := context.WithCancel(t.Context())
		payload := new([256]byte)
		held[i] = weak.Make(payload)
		safego.AfterFunc(ctx, time.Hour, "retry-reminder", func(context.Context) { payload[0]++; runs.Add(1) })
		cancel() // the request ends
	}
	for i, p := range held {
		require.True(t, released(p), "request %d's timer still holds its function after its context was done", i)
	}
	assert.Zero(t, runs.Load())
}
