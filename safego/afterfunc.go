package safego

import (
	"context"
	"sync"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// AfterFunc calls fn(ctx) in an owned goroutine named name, as [Go] does,
// once d has elapsed, unless ctx is done first: ctx being done stops the
// timer and lets go of fn, so a timer set per request cannot outlive its
// request. It holds no goroutine while it waits. The returned stop stops the
// timer and reports whether it did so before the timer fired and ctx was
// done, like [time.Timer.Stop]; it does not wait for fn.
// AfterFunc panics if ctx or fn is nil or name is empty.
//
//go:noinline
func AfterFunc(ctx context.Context, d time.Duration, name string, fn func(ctx context.Context)) (stop func() bool) {
	if ctx == nil || name == "" || fn == nil {
		badArgs("AfterFunc", ctx == nil, name, fn == nil)
	}
	a := &after{ctx: ctx, name: name, fn: fn}
	if mode := spine.Mode(); mode != core.Off {
		a.site, a.stack = spawnSite(mode, callerPC(), 0)
	}
	a.arm(d)
	return a.stop
}

// An after is one AfterFunc call: a timer and a context watch that stops it.
type after struct {
	ctx   context.Context
	name  string
	fn    func(context.Context)
	site  custody.Site
	stack custody.Stack

	mu      sync.Mutex // guards fn once armed, and the two fields below while AfterFunc sets them
	unwatch func() bool
	timer   *time.Timer
}

// arm starts the timer and the watch on ctx, unless ctx is already done.
func (a *after) arm(d time.Duration) {
	if a.ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	a.unwatch = context.AfterFunc(a.ctx, a.cancel)
	a.timer = time.AfterFunc(d, a.fire)
	a.mu.Unlock()
}

// cancel runs when ctx is done. It stops the timer and lets go of fn, and
// so of what fn holds, though the caller may keep stop for a while.
func (a *after) cancel() {
	a.mu.Lock()
	t := a.timer
	a.fn = nil
	a.mu.Unlock()
	t.Stop()
}

// fire runs when the timer fires.
func (a *after) fire() {
	a.mu.Lock()
	unwatch, fn := a.unwatch, a.fn
	a.mu.Unlock()
	unwatch()
	if fn == nil || a.ctx.Err() != nil {
		return
	}
	start(a.ctx, a.name, fn, a.site, a.stack)
}

func (a *after) stop() bool {
	a.mu.Lock()
	t, unwatch := a.timer, a.unwatch
	a.mu.Unlock()
	if t == nil {
		return false // ctx was done before AfterFunc
	}
	stopped := t.Stop()
	unwatch()
	return stopped && a.ctx.Err() == nil
}
