package safego_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/safego"
)

// TestSharedWatch: goroutines sharing a context share its watch; when it is
// done each reports GoroutineContextDone once, before its exit, whether the
// watch reached it first or it returned first (most return at once).
func TestSharedWatch(t *testing.T) {
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := install(t, mode)
				ctx, cancel := context.WithCancel(t.Context())
				const n = 100
				for range n {
					safego.Go(ctx, "shared", func(ctx context.Context) {
						<-ctx.Done()
						time.Sleep(10 * time.Millisecond)
					})
				}
				synctest.Wait()
				cancel()
				synctest.Wait()
				time.Sleep(time.Second)
				synctest.Wait()
				byID := map[uint64][]custody.Kind{}
				for _, e := range r.Of("shared") {
					byID[e.Goroutine.ID] = append(byID[e.Goroutine.ID], e.Kind)
					if e.Kind == custody.GoroutineExited {
						assert.Equal(t, 10*time.Millisecond, e.Latency)
					}
				}
				require.Len(t, byID, n)
				for id, ks := range byID {
					assert.Equal(t, []custody.Kind{custody.GoroutineSpawned, custody.GoroutineContextDone, custody.GoroutineExited}, ks, "goroutine %d", id)
				}
			})
		})
	}
}

// TestSharedWatchReturnsFirst: goroutines that return as soon as their
// context is done mostly leave the watch's list before it reaches them, and
// report context done themselves.
func TestSharedWatchReturnsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := install(t, core.Observe)
		ctx, cancel := context.WithCancel(t.Context())
		const n = 200
		for range n {
			safego.Go(ctx, "quick", func(ctx context.Context) { <-ctx.Done() })
		}
		synctest.Wait()
		cancel()
		synctest.Wait()
		counts := map[custody.Kind]int{}
		for _, e := range r.Of("quick") {
			counts[e.Kind]++
		}
		assert.Equal(t, map[custody.Kind]int{
			custody.GoroutineSpawned: n, custody.GoroutineContextDone: n, custody.GoroutineExited: n,
		}, counts)
	})
}
