package chanown_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/internal/spine"
)

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
	fmt.Println(errs[0])
	// Output:
	// true
	// true
	// true
	// chanown: send on closed channel "results" (closer not recorded: custody was off when it was closed; install a custody sink to record closers)
}

// A Chan made in a request handler's identity, ranged over by a consumer.
func ExampleMake() {
	ctx := spine.WithRecord(context.Background(), spine.NewGoroutine(nil, "handle-order", spine.Caller(0)))
	lines := chanown.Make[string](ctx, "order-lines", 2)
	fmt.Println(lines.Name(), lines.Cap(), lines.Owner().Name)

	_ = lines.Send(ctx, "apples")
	_ = lines.Send(ctx, "pears")
	_ = lines.Close(ctx)
	for l := range lines.C() {
		fmt.Println(l)
	}
	// Output:
	// order-lines 2 handle-order
	// apples
	// pears
}

// The owner hands the channel to the producer that will close it, so that
// the producer's close is not reported as a close by a non-owner.
func ExampleChan_Handoff() {
	restore := sinktest.Set(custody.NewLogSink(slog.New(slog.DiscardHandler)))
	defer restore()
	root := context.Background()
	ctx := spine.WithRecord(root, spine.NewGoroutine(nil, "handle-order", spine.Caller(0)))
	producerCtx := spine.WithRecord(root, spine.NewGoroutine(custody.FromContext(ctx), "fetch-lines", spine.Caller(0)))

	lines := chanown.Make[string](ctx, "order-lines", 1)
	lines.Handoff(ctx, producerCtx)
	fmt.Println("owned by", lines.Owner().Name)
	_ = lines.Send(producerCtx, "apples")
	_ = lines.Close(producerCtx)
	// Output:
	// owned by fetch-lines
}

// With a sink installed, a send after close says who closed the channel and
// where.
func ExampleCloseError() {
	restore := sinktest.Set(custody.NewLogSink(slog.New(slog.DiscardHandler)))
	defer restore()
	ctx := spine.WithRecord(context.Background(), spine.NewGoroutine(nil, "checkout", spine.Caller(0)))
	receipts := chanown.Make[string](ctx, "receipts", 1)
	_ = receipts.Close(ctx)

	err := receipts.Send(ctx, "r-1")
	var ce *chanown.CloseError
	if errors.As(err, &ce) {
		fmt.Printf("%s on %q: closed by %s in %s\n", ce.Op, ce.Chan, ce.Closer.Name, ce.CloseSite.Frame().Function)
	}
	// Output:
	// send on "receipts": closed by checkout in github.com/custody-go/custody/chanown_test.ExampleCloseError
}
