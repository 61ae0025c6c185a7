package chanown_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/oracle"
)

// discard is an observe-mode sink that drops every event: a successful send
// or receive reports nothing, so what observe mode costs on the hot path
// does not depend on the sink.
type discard struct{}

func (discard) Emit(context.Context, custody.Event) {}

// BenchmarkSendRecv measures one send and one receive through a buffered
// channel (capacity 64), the benchmark's goroutine sending and one
// goroutine receiving.
func BenchmarkSendRecv(b *testing.B) { benchSendRecv(b, 64) }

// BenchmarkSendRecvUnbuffered is BenchmarkSendRecv through an unbuffered
// channel: every send meets the receiver goroutine.
func BenchmarkSendRecvUnbuffered(b *testing.B) { benchSendRecv(b, 0) }

// benchSendRecv runs the sub-benchmarks: raw is a chan int with bare send
// and receive statements; select is the same channel used as careful code
// does, with each send and receive in a select with the context's Done (the
// floor of any operation that can be abandoned); off, observe (custody.Install
// of a sink that drops events) and verify (the real oracle, with the
// benchmark as the checked test: blocked operations are recorded for its
// reports) are a Chan with Send and Recv.
func benchSendRecv(b *testing.B, capacity int) {
	b.Run("raw", func(b *testing.B) {
		ch := make(chan int, capacity)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range ch {
			}
		}()
		start(b)
		for b.Loop() {
			ch <- 1
		}
		close(ch)
		<-done
	})
	b.Run("select", func(b *testing.B) {
		ctx := b.Context()
		ch := make(chan int, capacity)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		start(b)
		for b.Loop() {
			select {
			case ch <- 1:
			case <-ctx.Done():
			}
		}
		close(ch)
		<-done
	})
	for _, mode := range []string{"off", "observe", "verify"} {
		b.Run(mode, func(b *testing.B) {
			ctx := custody.NewContext(b.Context(), "bench")
			switch mode {
			case "observe":
				b.Cleanup(custody.Install(discard{}))
			case "verify":
				ctx = oracle.Check(b)
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
			start(b)
			for b.Loop() {
				_ = c.Send(ctx, 1)
			}
			_ = c.Close(ctx)
			<-done
		})
	}
}

// start begins the timed part of a sub-benchmark on a collected heap, so
// that no sub-benchmark pays for the garbage of the one before it (raw
// follows the previous benchmark's verify, which leaves the most).
func start(b *testing.B) {
	runtime.GC()
	b.ReportAllocs()
}
