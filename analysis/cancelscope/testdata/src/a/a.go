package a

import (
	"context"
	"sync"
	"time"
	"web"

	"github.com/custody-go/custody/safego"
	"golang.org/x/sync/errgroup"
)

func processAsync(ctx context.Context, w web.ResponseWriter) {
	req, _ := web.NewRequestWithContext(ctx, "POST", "http://ledger", nil)
	_ = req
}

// The incident.
func handler(w web.ResponseWriter, r *web.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // want `this deferred cancel cancels ctx when handler returns, but handler hands it to the goroutine started at line 22 and does not wait for it`
	go processAsync(ctx, w)
}

func owned(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel() // want `cancels ctx when owned returns, but owned hands it to the goroutine started at line 28`
	safego.Go(ctx, "ledger", func(ctx context.Context) {
		processAsync(ctx, nil)
	})
}

func derived(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // want `cancels ctx when derived returns`
	type key struct{}
	vctx := context.WithValue(ctx, key{}, 1)
	go func() {
		processAsync(vctx, nil)
	}()
}

// The fix: the goroutine gets a context without the caller's cancel.
func withoutCancel(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	safego.Go(context.WithoutCancel(ctx), "ledger", func(ctx context.Context) {
		processAsync(ctx, nil)
	})
	go processAsync(context.WithoutCancel(ctx), nil)
}

// The traps: a goroutine the function waits for before cancel runs.
func waitGroup(ctx context.Context, items []string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			processAsync(ctx, nil)
		}()
	}
	wg.Wait()
}

func errGroup(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error { processAsync(ctx, nil); return nil })
	return g.Wait()
}

func safegoGroup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	g, gctx := safego.WithContext(ctx, "fetch")
	g.Go("one", func(context.Context) error { processAsync(gctx, nil); return nil })
	return g.Wait()
}

func receiveResult(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		processAsync(ctx, nil)
		errc <- nil
	}()
	return <-errc
}

func deferredJoin(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		processAsync(ctx, nil)
	}()
}

// A watcher built to stop when the function returns.
func watcher(ctx context.Context, conn interface{ Close() error }) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	processAsync(ctx, nil)
}

// A timer tied to ctx is meant to stop with it.
func afterFunc(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	safego.AfterFunc(ctx, time.Second, "t", func(ctx context.Context) {})
}

// Only the context's values reach the goroutine.
func valueOnly(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_ = ctx.Value("k")
	}()
}

// No defer: cancel's scope is the caller's to read.
func noDefer(ctx context.Context) context.CancelFunc {
	ctx, cancel := context.WithCancel(ctx)
	go processAsync(ctx, nil)
	return cancel
}

func silenced(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() //custody:ignore cancelscope processAsync only logs, and a cancelled log line is fine
	go processAsync(ctx, nil)
}

// fee stops waiting when ctx is done.
func fee(ctx context.Context) int {
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	return 1
}

// The goroutines' work function watches ctx.Done(): they are built to stop
// when the first answer is in and quote returns.
func quote(ctx context.Context) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	quotes := make(chan int, 3)
	for range 3 {
		safego.Go(ctx, "quote", func(ctx context.Context) {
			quotes <- fee(ctx)
		})
	}
	return first(quotes) // not a receive here: first receives
}

func first(ch chan int) int { return <-ch }

// The trap of the second held-out run: client-go's leader election runs
// its caller's callback while it holds the lease, and cancels it when it
// stops leading; a callback's body cannot be read.
type callbacks struct{ onStartedLeading func(context.Context) }

func renew(ctx context.Context) { <-ctx.Done() }

func (c *callbacks) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.onStartedLeading(ctx)
	renew(ctx)
}

// mongo-driver's connect: a listener goroutine that cancels the context
// itself when the listener fires, meant to end with the function.
type listener interface {
	Listen(ctx context.Context, abort func())
}

func connect(ctx context.Context, l listener, dial func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer cancel()
		l.Listen(ctx, func() {})
	}()
	return dial(ctx)
}
