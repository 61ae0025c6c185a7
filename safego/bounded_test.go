package safego_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/safego"
)

// TestBlockingOperationsEnd walks every operation of safego that can block
// and shows how it ends: Go and AfterFunc never block; Group.Go waiting for
// a slot and Group.Wait end once the members return, which canceling the
// group's context makes members that watch it do; the flush before a panic
// is raised again is bounded to two seconds (TestGroupWaitPastAStuckFlush,
// TestGoPanicCrashesPastAStuckFlush). Each runs in a synctest bubble, where
// an operation left blocked fails the test.
func TestBlockingOperationsEnd(t *testing.T) {
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if mode != core.Off {
					install(t, mode)
				}
				ctx, cancel := context.WithCancel(t.Context())
				g, _ := safego.WithContext(ctx, "limited")
				g.SetLimit(1)
				g.Go("holder", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
				started := make(chan struct{})
				goReturned := make(chan struct{})
				go func() {
					defer close(goReturned)
					g.Go("waiter", func(ctx context.Context) error { close(started); return nil })
				}()
				waitReturned := make(chan error, 1)
				go func() { waitReturned <- g.Wait() }()
				synctest.Wait()
				require.Empty(t, goReturned, "Group.Go waits for a slot")
				require.Empty(t, waitReturned, "Wait waits for the members")

				start := time.Now()
				cancel()
				synctest.Wait()
				assert.Equal(t, start, time.Now(), "no time passed: cancellation alone ended the waits")
				<-goReturned
				<-started
				assert.ErrorIs(t, <-waitReturned, context.Canceled)

				// Go and AfterFunc return at once, whatever fn does.
				block := make(chan struct{})
				safego.Go(ctx, "blocked", func(context.Context) { <-block })
				safego.AfterFunc(t.Context(), 0, "blocked-later", func(context.Context) { <-block })
				close(block)
			})
		})
	}
}
