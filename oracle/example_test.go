package oracle_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/custody-go/custody/chanown"
	"github.com/custody-go/custody/oracle"
	"github.com/custody-go/custody/safego"
)

// exampleT stands in for the *testing.T of a test named TestHandlePayment.
// It prints the verdict, blanking what changes from run to run (durations)
// and stopping before the goroutine's stack.
type exampleT struct {
	ctx      context.Context
	cancel   context.CancelFunc
	cleanups []func()
}

func (t *exampleT) Name() string                 { return "TestHandlePayment" }
func (t *exampleT) Helper()                      {}
func (t *exampleT) Context() context.Context     { return t.ctx }
func (t *exampleT) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Logf(format string, a ...any) {}
func (t *exampleT) Errorf(format string, a ...any) {
	report := regexp.MustCompile(`[0-9.]+(ms|µs|s)\b`).ReplaceAllString(fmt.Sprintf(format, a...), "…")
	report, _, _ = strings.Cut(report, "    goroutine ")
	fmt.Print(report)
}

// end finishes the test as the testing package does.
func (t *exampleT) end() {
	t.cancel()
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A test whose goroutine outlives it: the send blocks on a full channel with
// a context nobody cancels. The verdict names the goroutine, where it was
// spawned, what it is blocked on and who owns that channel.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	t := &exampleT{ctx: ctx, cancel: cancel}

	ctx = oracle.Check(t, oracle.Settle(100*time.Millisecond), oracle.CancelGrace(50*time.Millisecond))
	results := chanown.Make[string](ctx, "payment-results", 1)
	safego.Go(ctx, "process-payment", func(ctx context.Context) {
		bg := context.WithoutCancel(ctx) // the bug: this context is never done
		_ = results.Send(bg, "paid")
		_ = results.Send(bg, "paid again") // blocks: the buffer is full and nobody receives
	})
	time.Sleep(10 * time.Millisecond)
	t.end()
	_, _, _ = results.Recv(context.Background()) // let the example's goroutine go

	// Output:
	// oracle: TestHandlePayment: 1 finding
	//
	// leaked goroutine "process-payment" (running …)
	//     spawned at oracle/example_test.go:52 by TestHandlePayment
	//     context done (context canceled) … ago; the goroutine ignored it and did not return
	//     blocked in chanown.Send on "payment-results" (cap 1, len 1) for …, at oracle/example_test.go:55,
	//         owned by TestHandlePayment, made at oracle/example_test.go:51, never closed
}
