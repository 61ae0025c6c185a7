package chanown_test

import (
	"context"
	"testing"

	"github.com/custody-go/custody/bench/internal/harness"
	"github.com/custody-go/custody/chanown"
)

// chanRound is how many values a round of the channel benchmarks sends
// through one channel: in verify mode, one test's worth.
const chanRound = 10000

// BenchmarkSendRecv sends one value through a buffered channel (capacity 64)
// to a receiver goroutine that drains it; the benchmark's goroutine sends.
// raw is a chan int with bare send and receive statements; select is the
// same channel used as careful code does, each send and receive in a select
// with the context's Done; off, observe and verify are a chanown.Chan with
// Send and Recv in each mode. Observe runs otelbridge on SDK providers under
// an unsampled request span; verify runs every round (a channel, its
// receiver and 10,000 values) as a test of its own under oracle.Check.
func BenchmarkSendRecv(b *testing.B) { sendRecv(b, 64) }

// BenchmarkSendRecvUnbuffered is BenchmarkSendRecv through an unbuffered
// channel: every send waits for the receiver goroutine.
func BenchmarkSendRecvUnbuffered(b *testing.B) { sendRecv(b, 0) }

func sendRecv(b *testing.B, capacity int) {
	o := harness.NewOTel(false)
	defer o.Shutdown()
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, end := o.Request(base)
	defer end()

	warm := make(chan int, capacity)
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		for range warm {
		}
	}()
	harness.Warm(func() { warm <- 1 })
	close(warm)
	<-warmed

	b.Run("raw", func(b *testing.B) {
		var ch chan int
		r := harness.NewRounds(b, chanRound, func() func() {
			ch = make(chan int, capacity)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range ch {
				}
			}()
			return func() { close(ch); <-done }
		})
		b.ReportAllocs()
		for b.Loop() {
			r.Next()
			ch <- 1
		}
		r.Done()
	})
	b.Run("select", func(b *testing.B) {
		var ch chan int
		ctx := base
		r := harness.NewRounds(b, chanRound, func() func() {
			ch = make(chan int, capacity)
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
			return func() { close(ch); <-done }
		})
		b.ReportAllocs()
		for b.Loop() {
			r.Next()
			select {
			case ch <- 1:
			case <-ctx.Done():
				b.Fatal(ctx.Err())
			}
		}
		r.Done()
	})
	owned := func(b *testing.B, verify bool) {
		var (
			c   *chanown.Chan[int]
			ctx context.Context
		)
		r := harness.NewRounds(b, chanRound, func() func() {
			var endRound func()
			ctx, endRound = harness.Round(b, base, verify)
			c = chanown.Make[int](ctx, "bench", capacity)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, ok, _ := c.Recv(ctx); !ok {
						return
					}
				}
			}()
			return func() {
				if err := c.Close(ctx); err != nil {
					b.Fatal(err)
				}
				<-done
				endRound()
			}
		})
		b.ReportAllocs()
		for b.Loop() {
			r.Next()
			if err := c.Send(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
		r.Done()
	}
	b.Run("off", func(b *testing.B) { owned(b, false) })
	b.Run("observe", func(b *testing.B) {
		defer o.Install()()
		owned(b, false)
	})
	b.Run("verify", func(b *testing.B) { owned(b, true) })
}
