// Synthetic leaks of 1, 100 and 2,000 goroutines, each blocked on a channel
// that nothing ever sends on: how verdict time grows with the number of
// leaked goroutines. The fixed variant releases them as the test body ends.

package goker_test

import (
	"context"

	"github.com/custody-go/custody/safego"
)

func leakRaw(n int) func(context.Context) {
	return func(context.Context) {
		block := make(chan struct{})
		for range n {
			go func() { <-block }() // spawn:raw
		}
	}
}

func leakOwned(n int) func(context.Context) {
	return func(ctx context.Context) {
		block := make(chan struct{})
		for range n {
			safego.Go(ctx, "leak", func(context.Context) { // spawn:owned
				<-block
			})
		}
	}
}

// leakFixed starts n goroutines as leakRaw does and releases them before it
// returns; some may still be exiting when the checker looks.
func leakFixed(n int) func(context.Context) {
	return func(context.Context) {
		block := make(chan struct{})
		for range n {
			go func() { <-block }()
		}
		close(block)
	}
}
