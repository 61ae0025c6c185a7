package main

import (
	"context"
	"time"
)

func publish(ctx context.Context) { _ = ctx.Err() }

// When main returns the process ends: its deferred cancel stops nothing
// that would have gone on.
func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	go publish(ctx)
	for {
		time.Sleep(time.Second)
	}
}

func helper() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // want `this deferred cancel cancels ctx when helper returns`
	go publish(ctx)
}
