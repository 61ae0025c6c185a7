package chanown_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
)

// TestStress races senders (Send with and without a cancelable context,
// TrySend), receivers (Recv and range over C), closers and a handoff, round
// after round, in every mode and at capacities 0 to 3. Every value carries a
// unique id. It asserts that nothing panics, that exactly one close
// succeeds, that every successful send is received exactly once and nothing
// else is, and that every failed send returned ErrClosed or its context's
// error.
func TestStress(t *testing.T) {
	const (
		senders   = 6
		receivers = 3
		closers   = 2
		perSender = 150
	)
	rounds := 120
	if testing.Short() {
		rounds = 20
	}
	modes := []core.Mode{core.Off, core.Observe, core.Verify}
	var delivered, closed, canceled atomic.Int64 // over all rounds
	for round := range rounds {
		mode := modes[round%len(modes)]
		capacity := round % 4
		t.Run(fmt.Sprintf("%d-%s-cap%d", round, mode, capacity), func(t *testing.T) {
			if mode != core.Off {
				sinktest.Install(t, mode)
			}
			ownerCtx, _ := identity(t.Context(), "owner")
			c := chanown.Make[uint64](ownerCtx, "stress", capacity)

			var (
				wg        sync.WaitGroup
				mu        sync.Mutex
				panics    []any
				sent      = make([][]uint64, senders)
				received  = make([][]uint64, receivers)
				badErrs   []error
				closeErrs = make([]error, closers)
			)
			guard := func() {
				if v := recover(); v != nil {
					mu.Lock()
					panics = append(panics, v)
					mu.Unlock()
				}
			}
			spawn := func(fn func()) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer guard()
					fn()
				}()
			}
			var recvWG sync.WaitGroup
			for r := range receivers {
				recvWG.Add(1)
				go func() {
					defer recvWG.Done()
					defer guard()
					ctx, _ := identity(t.Context(), fmt.Sprint("receiver-", r))
					if r%2 == 0 {
						for v := range c.C() {
							received[r] = append(received[r], v)
						}
						return
					}
					for {
						v, ok, err := c.Recv(ctx)
						if err != nil {
							mu.Lock()
							badErrs = append(badErrs, fmt.Errorf("Recv: %w", err))
							mu.Unlock()
							return
						}
						if !ok {
							return
						}
						received[r] = append(received[r], v)
					}
				}()
			}
			for s := range senders {
				spawn(func() {
					ctx, _ := identity(t.Context(), fmt.Sprint("sender-", s))
					var cancel context.CancelFunc
					if s%3 == 1 {
						ctx, cancel = context.WithCancel(ctx)
						defer cancel()
					}
					sawClosed := false
					for j := range perSender {
						id := uint64(s)<<32 | uint64(j)
						if cancel != nil && rand.IntN(40) == 0 {
							cancel()
						}
						var err error
						ok := false
						if s%3 == 2 {
							ok, err = c.TrySend(id)
						} else {
							err = c.Send(ctx, id)
							ok = err == nil
						}
						if ok {
							delivered.Add(1)
							if sawClosed {
								err = errors.New("a send succeeded after one returned ErrClosed")
							}
							sent[s] = append(sent[s], id)
						}
						switch {
						case err == nil:
						case errors.Is(err, chanown.ErrClosed):
							closed.Add(1)
							sawClosed = true
						case cancel != nil && errors.Is(err, context.Canceled):
							canceled.Add(1)
						default:
							mu.Lock()
							badErrs = append(badErrs, err)
							mu.Unlock()
						}
					}
				})
			}
			for k := range closers {
				spawn(func() {
					ctx, _ := identity(t.Context(), fmt.Sprint("closer-", k))
					for range rand.IntN(300) {
						runtime.Gosched()
					}
					if k == 0 {
						c.Handoff(ownerCtx, ctx)
					}
					closeErrs[k] = c.Close(ctx)
				})
			}
			wg.Wait()
			recvWG.Wait()

			require.Empty(t, panics)
			require.Empty(t, badErrs)
			nilCloses := 0
			for _, err := range closeErrs {
				if err == nil {
					nilCloses++
				} else {
					require.ErrorIs(t, err, chanown.ErrClosed)
				}
			}
			require.Equal(t, 1, nilCloses, "exactly one close wins")

			counts := make(map[uint64]int)
			total := 0
			for _, ids := range sent {
				for _, id := range ids {
					counts[id]++
					total++
				}
			}
			for _, ids := range received {
				for _, id := range ids {
					counts[id]--
					total--
				}
			}
			for id, n := range counts {
				require.Zero(t, n, "value %#x: sent successfully minus received = %d, want 0", id, n)
			}
			assert.Zero(t, total)
			_, ok, err := c.Recv(t.Context())
			require.NoError(t, err)
			assert.False(t, ok, "closed and drained")
		})
	}
	t.Logf("sends: %d delivered, %d ErrClosed, %d canceled", delivered.Load(), closed.Load(), canceled.Load())
	assert.Positive(t, delivered.Load())
	assert.Positive(t, closed.Load(), "no send ever raced a close")
	assert.Positive(t, canceled.Load(), "no send was ever canceled")
}
