package chanown_test

import (
	"context"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/oracle"
)

// discard is a Sink of a chosen mode that drops every event; the lead
// switches the observe and verify benchmarks to the real sinks once they
// land.
type discard struct{ mode core.Mode }

func (discard) Emit(context.Context, custody.Event) {}

func (d discard) Mode() core.Mode { return d.mode }

// BenchmarkSendRecv measures one send and one receive through a buffered
// channel, with one producer (the benchmark loop) and one consumer
// goroutine, as a raw channel and as a Chan in each mode. The Chan's
// context carries an identity, as under the oracle, so that verify mode
// records blocked receives for Waiting.
func BenchmarkSendRecv(b *testing.B) {
	const capacity = 64
	b.Run("raw", func(b *testing.B) {
		ch := make(chan int, capacity)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if _, ok := <-ch; !ok {
					return
				}
			}
		}()
		b.ReportAllocs()
		for b.Loop() {
			ch <- 1
		}
		close(ch)
		<-done
	})
	for _, mode := range []core.Mode{core.Off, core.Observe, core.Verify} {
		b.Run(mode.String(), func(b *testing.B) {
			ctx, _ := identity(b.Context(), "bench")
			switch mode {
			case core.Observe:
				b.Cleanup(sinktest.Set(discard{mode}))
			case core.Verify:
				ctx = oracle.Check(b) // the real oracle, with the benchmark as the checked test
			}
			c := chanown.Make[int](ctx, "bench", capacity)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, ok, _ := c.Recv(ctx); !ok {
						return
					}
				}
			}()
			b.ReportAllocs()
			for b.Loop() {
				_ = c.Send(ctx, 1)
			}
			_ = c.Close(ctx)
			<-done
		})
	}
}
