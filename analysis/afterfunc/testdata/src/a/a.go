package a

import (
	"context"
	"time"
	"web"

	"github.com/custody-go/custody/safego"
)

// The incident: once the caller returned, nobody receives from timedOut.
func perRequest(ctx context.Context, timedOut chan struct{}) {
	time.AfterFunc(time.Second, func() { // want `the timer time.AfterFunc returns is thrown away, and its function sends on timedOut outside a select: once perRequest is done nobody may receive`
		timedOut <- struct{}{}
	})
}

func notify(done chan error) { done <- nil }

func namedFunction(ctx context.Context, done chan error) {
	_ = time.AfterFunc(time.Minute, func() { notify(done) }) // a send one call away: not looked for
	_ = time.AfterFunc(time.Minute, notifier(done))          // a function value: its body is not here
}

func notifier(done chan error) func() { return func() { done <- nil } }

// A chain: each run sets the next timer, and nothing can stop it.
func poll(ctx context.Context, f func()) {
	f()
	time.AfterFunc(time.Second, func() { // want `its function calls poll, which sets the next timer: a chain of timers that nothing can stop`
		poll(ctx, f)
	})
}

func handler(w web.ResponseWriter, r *web.Request) {
	ctx := r.Context()
	answer := make(chan string)
	time.AfterFunc(time.Second, func() { // want `its function sends on answer outside a select`
		answer <- "timeout"
	})
	_ = ctx
	<-answer
}

// The traps: a delayed action that ends by itself, a send with a way out,
// a timer that is kept and stopped, or kept in a field.
func graceClose(cancel context.CancelFunc) {
	time.AfterFunc(time.Second, cancel)
	time.AfterFunc(time.Minute, func() { println("collect") })
}

func sendWithWayOut(ctx context.Context, out chan int) {
	time.AfterFunc(time.Second, func() {
		select {
		case out <- 1:
		case <-ctx.Done():
		}
	})
}

func stopped(done chan struct{}) {
	t := time.AfterFunc(time.Second, func() { done <- struct{}{} })
	defer t.Stop()
}

type conn struct{ idle *time.Timer }

func (c *conn) arm(closed chan bool) {
	c.idle = time.AfterFunc(time.Minute, func() { closed <- true })
}

// safego.AfterFunc ties the timer to ctx: its stop may be dropped.
func tied(ctx context.Context, out chan int) {
	safego.AfterFunc(ctx, time.Second, "tied", func(ctx context.Context) { out <- 1 })
}

func silenced(out chan int) {
	//custody:ignore afterfunc out has room for every value this timer sends
	time.AfterFunc(time.Second, func() { out <- 1 })
}

// The traps of the second held-out run. nats-server's consumer re-checks
// that it still runs before each link: once it stops, the chain ends.
type consumer struct {
	stream *int
	peers  []int
}

func (o *consumer) checkPeers() {
	if o.stream == nil {
		return // stopped
	}
	for _, v := range o.peers {
		if v < 2 {
			time.AfterFunc(time.Second, func() { o.checkPeers() })
			return
		}
	}
}

// Still reported: nats-server's MQTT retry re-arms from a deferred
// function on every failure, and once the server shuts down every attempt
// fails.
type sessions struct{ failures int }

func (s *sessions) transfer(try func() error) {
	retry := true
	defer func() {
		if retry {
			time.AfterFunc(5*time.Second, func() { s.transfer(try) }) // want `its function calls transfer, which sets the next timer`
		}
	}()
	if err := try(); err != nil {
		s.failures++
		return
	}
	retry = false
}
