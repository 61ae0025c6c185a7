package chanown_test

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/waits"
)

// useAndDrop makes a channel, puts it through every recorded path (blocked
// send and receive, close, send after close, double close, handoff) with a
// verify sink installed, and returns only a weak pointer to it and a
// channel closed by its cleanup.
//
//go:noinline
func useAndDrop(t *testing.T, ctx context.Context, closeIt bool) (weak.Pointer[chanown.Chan[[]byte]], <-chan struct{}) {
	c := chanown.Make[[]byte](ctx, "dropped", 1)
	cleaned := make(chan struct{})
	runtime.AddCleanup(c, func(ch chan struct{}) { close(ch) }, cleaned)

	require.NoError(t, c.Send(ctx, make([]byte, 1<<10)))
	errc := make(chan error)
	go func() { errc <- c.Send(ctx, nil) }() // blocks: the channel is full
	for {
		if _, ok := waits.Of(custody.FromContext(ctx)); ok {
			break
		}
		runtime.Gosched()
	}
	_, _, err := c.Recv(ctx)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	c.Handoff(ctx, ctx)
	if closeIt {
		require.NoError(t, c.Close(ctx))
		require.ErrorIs(t, c.Send(ctx, nil), chanown.ErrClosed)
		require.ErrorIs(t, c.Close(ctx), chanown.ErrClosed)
	}
	return weak.Make(c), cleaned
}

func TestDroppedChanIsCollected(t *testing.T) {
	for _, closeIt := range []bool{true, false} {
		name := "open"
		if closeIt {
			name = "closed"
		}
		t.Run(name, func(t *testing.T) {
			r := sinktest.Install(t, core.Verify)
			ctx, g := identity(t.Context(), "owner")
			wp, cleaned := useAndDrop(t, ctx, closeIt)
			require.NotEmpty(t, r.Take(), "the sink saw events; they must not keep the channel alive")

			collected := false
			for range 20 {
				runtime.GC()
				select {
				case <-cleaned:
					collected = true
				default:
				}
				if collected {
					break
				}
			}
			assert.True(t, collected, "the dropped channel was not garbage collected")
			assert.Nil(t, wp.Value())
			_, ok := waits.Of(g)
			assert.False(t, ok, "no waiting record is left behind")
		})
	}
}
