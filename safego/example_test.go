package safego_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/safego"
)

// events is a Sink that hands every event to a channel, so that an example
// can print them in order.
type events chan custody.Event

func (ch events) Emit(_ context.Context, e custody.Event) { ch <- e }

// An owned goroutine carries its record in its context and reports its
// start and exit, here to a sink that prints them.
func ExampleGo() {
	sink := make(events, 16)
	defer custody.Install(sink)()

	// The identity of whatever starts the goroutine: a request handler, a test.
	ctx := custody.NewContext(context.Background(), "handle-payment")

	safego.Go(ctx, "send-receipt", func(ctx context.Context) {
		me := custody.FromContext(ctx)
		fmt.Println("running as", me.Chain())
	})
	for e := range sink {
		if e.Kind == custody.GoroutineExited {
			fmt.Println(e.Kind, e.Goroutine.Chain(), "spawned at", e.Site.Frame().Function)
			break
		}
	}
	// Output:
	// running as send-receipt ← handle-payment
	// goroutine.exited send-receipt ← handle-payment spawned at github.com/custody-go/custody/safego_test.ExampleGo
}

// A Group is errgroup with owned members: the first error cancels the
// others and Wait returns it.
func ExampleWithContext() {
	g, ctx := safego.WithContext(context.Background(), "fetch-prices")
	g.Go("eur", func(ctx context.Context) error {
		return errors.New("eur: rate limited")
	})
	g.Go("usd", func(ctx context.Context) error {
		<-ctx.Done() // cancelled by eur's error
		return ctx.Err()
	})
	fmt.Println(g.Wait())
	fmt.Println(ctx.Err())
	// Output:
	// eur: rate limited
	// context canceled
}

// A panic in a member is re-raised by Wait, on the owner's stack, as a
// *PanicError that names the member and holds the original value.
func ExampleGroup_Wait_panic() {
	g, _ := safego.WithContext(context.Background(), "import")
	g.Go("parse-row", func(ctx context.Context) error {
		var row map[string]int
		row["total"]++ // assignment to entry in nil map
		return nil
	})
	defer func() {
		var pe *safego.PanicError
		if err, ok := recover().(error); ok && errors.As(err, &pe) {
			fmt.Printf("member %q of %q panicked: %v\n", pe.Name, pe.Group, pe.Value)
		}
	}()
	_ = g.Wait()
	// Output:
	// member "parse-row" of "import" panicked: assignment to entry in nil map
}

// A timer tied to a context: when the request ends first, fn never runs and
// nothing is left behind, unlike a time.AfterFunc per request.
func ExampleAfterFunc() {
	ctx, cancel := context.WithCancel(context.Background())
	fired := make(chan struct{})
	safego.AfterFunc(ctx, time.Millisecond, "reminder", func(ctx context.Context) {
		fmt.Println("reminder sent")
		close(fired)
	})
	<-fired

	stop := safego.AfterFunc(ctx, time.Hour, "retry", func(ctx context.Context) {
		fmt.Println("never printed")
	})
	cancel() // the request ends: the retry timer is stopped
	fmt.Println("stopped by stop:", stop())
	// Output:
	// reminder sent
	// stopped by stop: false
}

// SetLimit bounds the members running at once; TryGo starts one only if a
// slot is free.
func ExampleGroup_SetLimit() {
	g, _ := safego.WithContext(context.Background(), "resize-images")
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go("first", func(ctx context.Context) error { <-release; return nil })
	fmt.Println("second started:", g.TryGo("second", func(ctx context.Context) error { return nil }))
	close(release)
	fmt.Println(g.Wait())
	// Output:
	// second started: false
	// <nil>
}
