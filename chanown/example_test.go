package chanown_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
)

// printSink prints the events the examples cause.
type printSink struct{}

func (printSink) Emit(_ context.Context, e custody.Event) {
	fmt.Printf("event %s %q by %s\n", e.Kind, e.Object, e.Goroutine.Name)
}

// The receiver-closes pattern: a consumer that needs only some of the
// results stops early and closes the channel to tell the producers to stop.
// With a raw channel the producers would panic with "send on closed
// channel"; with a Chan each gets ErrClosed and returns.
func Example_receiverCloses() {
	ctx := context.Background()
	results := chanown.Make[int](ctx, "results", 0)

	var wg sync.WaitGroup
	errs := make([]error, 3)
	for p := range errs {
		wg.Go(func() {
			for i := 0; ; i++ {
				if err := results.Send(ctx, 100*p+i); err != nil {
					errs[p] = err
					return
				}
			}
		})
	}
	for range 5 {
		if _, ok, err := results.Recv(ctx); err != nil || !ok {
			panic("the producers never close")
		}
	}
	if err := results.Close(ctx); err != nil {
		panic(err)
	}
	wg.Wait()

	for _, err := range errs {
		fmt.Println(errors.Is(err, chanown.ErrClosed))
	}
	// Output:
	// true
	// true
	// true
}

// A Chan made in a request's identity, ranged over with C.
func ExampleMake() {
	ctx := custody.NewContext(context.Background(), "handle-order")
	lines := chanown.Make[string](ctx, "order-lines", 2)
	fmt.Println(lines.Name(), lines.Cap(), lines.Owner().Name)

	_ = lines.Send(ctx, "apples")
	_ = lines.Send(ctx, "pears")
	fmt.Println(lines.Len())
	_ = lines.Close(ctx)
	for l := range lines.C() {
		fmt.Println(l)
	}
	// Output:
	// order-lines 2 handle-order
	// 2
	// apples
	// pears
}

// Recv returns the context's error when the context is done first.
func ExampleChan_Recv() {
	ctx := context.Background()
	c := chanown.Make[int](ctx, "jobs", 1)
	_ = c.Send(ctx, 7)

	v, ok, err := c.Recv(ctx)
	fmt.Println(v, ok, err)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	v, ok, err = c.Recv(canceled)
	fmt.Println(v, ok, err)
	// Output:
	// 7 true <nil>
	// 0 false context canceled
}

// TrySend never blocks: it reports whether the value went in.
func ExampleChan_TrySend() {
	c := chanown.Make[string](context.Background(), "alerts", 1)
	fmt.Println(c.TrySend("disk full"))
	fmt.Println(c.TrySend("cpu hot"))
	_ = c.Close(context.Background())
	_, err := c.TrySend("late")
	fmt.Println(errors.Is(err, chanown.ErrClosed))
	// Output:
	// true <nil>
	// false <nil>
	// true
}

// The owner hands the channel to the producer that will close it, so that
// the producer's close is not a close by a non-owner.
func ExampleChan_Handoff() {
	defer custody.Install(printSink{})()
	ctx := custody.NewContext(context.Background(), "handle-order")
	producerCtx := custody.NewContext(ctx, "fetch-lines")

	lines := chanown.Make[string](ctx, "order-lines", 1)
	lines.Handoff(ctx, producerCtx)
	_ = lines.Send(producerCtx, "apples")
	_ = lines.Close(producerCtx)
	fmt.Println("owned by", lines.Owner().Name)
	// Output:
	// event chan.made "order-lines" by handle-order
	// event chan.handoff "order-lines" by handle-order
	// event chan.closed "order-lines" by fetch-lines
	// owned by fetch-lines
}

// With a sink installed, a second close says who closed the channel first
// and where.
func ExampleChan_Close() {
	defer custody.Install(printSink{})()
	ctx := custody.NewContext(context.Background(), "checkout")
	receipts := chanown.Make[string](ctx, "receipts", 1)
	_ = receipts.Close(ctx)

	err := receipts.Close(ctx)
	var ce *chanown.CloseError
	if errors.As(err, &ce) {
		fmt.Printf("%s of %q: first closed by %s in %s\n", ce.Op, ce.Chan, ce.Closer.Name, ce.CloseSite.Frame().Function)
	}
	// Output:
	// event chan.made "receipts" by checkout
	// event chan.closed "receipts" by checkout
	// event chan.double_close "receipts" by checkout
	// close of "receipts": first closed by checkout in github.com/custody-go/custody/chanown_test.ExampleChan_Close
}
