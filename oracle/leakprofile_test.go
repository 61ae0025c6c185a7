package oracle

import (
	"context"
	"runtime/pprof"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody/safego"
)

// blockForever blocks on a channel that nothing else can reach: the
// goroutineleak profile can prove it never wakes.
func blockForever() {
	ch := make(chan int)
	<-ch
}

// spawnStuck starts an owned goroutine blocked on a channel its function
// holds: nothing but that function reaches the channel.
func spawnStuck(ctx context.Context) {
	ch := make(chan int)
	safego.Go(ctx, "stuck", func(context.Context) { <-ch })
}

func TestLeakProfileReportsAtOnce(t *testing.T) {
	if pprof.Lookup("goroutineleak") == nil {
		t.Skip("needs a runtime with the goroutineleak profile (Go 1.27, or GOEXPERIMENT=goroutineleakprofile); .ci/run runs this package so once more")
	}
	for _, c := range []struct {
		name  string
		start func(ctx context.Context)
		want  string
	}{
		{"raw", func(context.Context) { go blockForever() }, "blocked in github.com/custody-go/custody/oracle.blockForever"},
		{"owned", func(ctx context.Context) { safego.Go(ctx, "stuck", func(context.Context) { blockForever() }) }, `leaked goroutine "stuck"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := newFake("TestBlockedForever")
			c.start(Check(fake, Settle(time.Minute)))
			start := time.Now()
			fake.finish()
			took := time.Since(start)

			v := fake.verdict()
			assert.Contains(t, v, "blocked forever: the goroutineleak profile found nothing that can wake it")
			assert.Contains(t, v, c.want)
			assert.Less(t, took, 30*time.Second, "a proven leak must not wait out the one-minute settle time")
			t.Logf("verdict in %v", took)
		})
	}

	// An owned goroutine whose function holds the channel it blocks on is
	// proven too, although its context was done before the verdict: safego
	// keeps nothing of the function where the context watch and its grace
	// timer (or the oracle's records) could reach it.
	fake := newFake("TestBlockedForever")
	spawnStuck(Check(fake, Settle(time.Minute)))
	start := time.Now()
	fake.finish()
	took := time.Since(start)
	v := fake.verdict()
	assert.Contains(t, v, `leaked goroutine "stuck"`)
	assert.Contains(t, v, "blocked forever: the goroutineleak profile found nothing that can wake it")
	t.Logf("verdict in %v", took)
}

// TestSettleModel: without the goroutineleak profile, a goroutine parked
// on a channel is reported once it has not moved for a while, well before
// the settle time; one that keeps sleeping and waking is waited for up to
// the settle time. The bubble's fake clock makes the waits exact.
func TestSettleModel(t *testing.T) {
	for _, c := range []struct {
		name     string
		leak     func(release chan struct{})
		min, max time.Duration
	}{
		{"blocked", func(release chan struct{}) { <-release }, maxQuiet, 2 * maxQuiet},
		{"group-wait", func(release chan struct{}) { // blocked in custody's API for the test's code: not custody's own
			g, _ := safego.WithContext(context.Background(), "members")
			g.Go("member", func(context.Context) error { <-release; return nil })
			_ = g.Wait()
		}, maxQuiet, 2 * maxQuiet},
		{"sleeping", func(release chan struct{}) {
			for {
				select {
				case <-release:
					return
				default:
					time.Sleep(time.Second)
				}
			}
		}, 10 * time.Second, 11 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				fake := newFake("TestSettle")
				fake.Cleanup(func() { close(release) }) // after the verdict
				Check(fake, Settle(10*time.Second), withoutLeakProfile())
				done := make(chan struct{})
				go func() { defer close(done); c.leak(release) }()
				start := time.Now()
				fake.finish()
				took := time.Since(start)
				<-done // the bubble must not end with it blocked
				assert.Contains(t, fake.verdict(), "leaked goroutine")
				assert.GreaterOrEqual(t, took, c.min)
				assert.Less(t, took, c.max)
			})
		})
	}
}
