package a

import (
	"context"
	"time"
	"web"

	"github.com/custody-go/custody/safego"
)

func perRequest(ctx context.Context, timedOut chan struct{}) {
	time.AfterFunc(time.Second, func() { // want `the timer time.AfterFunc returns is thrown away: nothing can stop it`
		timedOut <- struct{}{}
	})
}

func blank(ctx context.Context, expire func()) {
	_ = time.AfterFunc(time.Minute, expire) // want `the timer time.AfterFunc returns is thrown away`
}

func handler(w web.ResponseWriter, r *web.Request) {
	ctx := r.Context()
	time.AfterFunc(time.Second, func() { // want `the timer time.AfterFunc returns is thrown away`
		_ = ctx
	})
}

// The traps: a timer that is kept and stopped, or kept in a field.
func stopped(done chan struct{}) {
	t := time.AfterFunc(time.Second, func() { close(done) })
	defer t.Stop()
}

type conn struct{ idle *time.Timer }

func (c *conn) arm(close func()) {
	c.idle = time.AfterFunc(time.Minute, close)
}

func returned(f func()) *time.Timer {
	return time.AfterFunc(time.Minute, f)
}

// safego.AfterFunc ties the timer to ctx: its stop may be dropped.
func tied(ctx context.Context) {
	safego.AfterFunc(ctx, time.Second, "tied", func(ctx context.Context) {})
}

func silenced() {
	//custody:ignore afterfunc fires once per process, at shutdown
	time.AfterFunc(time.Second, func() {})
}
