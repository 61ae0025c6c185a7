package chanown_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/waits"
)

// TestBlockingOpsAreCancelable proves that each operation of a Chan that
// can block (Send on a full or unbuffered channel, Recv on an empty one) is
// abandoned when its context is canceled or its deadline passes, in every
// mode, and leaves the channel and the waiting records as they were. Close,
// TrySend, Make and Handoff do not block.
func TestBlockingOpsAreCancelable(t *testing.T) {
	ops := map[string]func(ctx context.Context, c *chanown.Chan[int]) error{
		"Send": func(ctx context.Context, c *chanown.Chan[int]) error { return c.Send(ctx, 99) },
		"Recv": func(ctx context.Context, c *chanown.Chan[int]) error {
			_, ok, err := c.Recv(ctx)
			if ok {
				return errors.New("received a value")
			}
			return err
		},
	}
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		for _, capacity := range []int{0, 2} {
			for name, op := range ops {
				for _, how := range []string{"cancel", "deadline"} {
					t.Run(fmt.Sprintf("%s/cap%d/%s/%s", mode, capacity, name, how), func(t *testing.T) {
						synctest.Test(t, func(t *testing.T) {
							if mode != core.Off {
								sinktest.Install(t, mode)
							}
							ctx, g := identity(t.Context(), "worker")
							c := chanown.Make[int](ctx, "x", capacity)
							if name == "Send" {
								for i := range capacity {
									require.NoError(t, c.Send(ctx, i))
								}
							}
							var (
								opCtx  context.Context
								cancel context.CancelFunc
							)
							if how == "cancel" {
								opCtx, cancel = context.WithCancel(ctx)
							} else {
								opCtx, cancel = context.WithTimeout(ctx, time.Hour)
							}
							defer cancel()
							errc := make(chan error, 1)
							go func() { errc <- op(opCtx, c) }()
							synctest.Wait()
							require.Empty(t, errc, "%s returned before it was abandoned", name)
							_, waiting := waits.Of(g)
							assert.Equal(t, mode == core.Verify, waiting, "waiting recorded")

							start := time.Now()
							if how == "cancel" {
								cancel()
							} else {
								time.Sleep(time.Hour)
							}
							synctest.Wait()
							require.Len(t, errc, 1, "%s was not abandoned", name)
							want, wantElapsed := context.Canceled, time.Duration(0)
							if how == "deadline" {
								want, wantElapsed = context.DeadlineExceeded, time.Hour
							}
							require.ErrorIs(t, <-errc, want)
							assert.Equal(t, wantElapsed, time.Since(start), "abandoned at once")
							_, waiting = waits.Of(g)
							assert.False(t, waiting, "no waiting record is left")
							if name == "Send" {
								assert.Equal(t, capacity, c.Len(), "the abandoned send sent nothing")
							}
							require.NoError(t, c.Close(ctx))
						})
					})
				}
			}
		}
	}
}
