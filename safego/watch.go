package safego

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A watch tells the owned goroutines whose contexts share one Done channel
// that it is closed: one context.AfterFunc registration serves all of them,
// each joining and leaving a list under a mutex.
//
// When the context is done, the watch's callback takes the goroutines off
// the list one by one and reports GoroutineContextDone for each; a
// goroutine that returns before the callback reaches it leaves the list and
// reports the event itself. Either way the event comes before the exit.
//
// The first goroutine of a context gets a private watch, which is not
// published and is dropped with its registration when the goroutine
// returns: a context per request costs one registration, as a
// context.AfterFunc per goroutine would. Later goroutines of a context seen
// before share a published watch. In observe mode a shared watch left empty
// stays registered for the next goroutine of its context (a server's, a
// group's), up to maxIdleWatches of them at once; beyond that, and in
// verify mode, it is dropped with its registration.
type watch struct {
	key      <-chan struct{}
	keepIdle bool
	private  bool // not in watches: one goroutine's
	stop     func() bool // the registration's; set before any goroutine joins

	mu     sync.Mutex
	head   *owned
	n      int
	idle   bool      // empty, and counted in idleWatches
	dead   bool      // no longer in watches: done, or dropped
	doneAt time.Time // when the callback ran, if it did
}

// watches holds the live watches by Done channel.
var watches sync.Map

// maxIdleWatches bounds the empty watches kept in observe mode. Each holds
// the context it watches (and, for a context type the context package does
// not know, a goroutine of that package's) until it is done.
const maxIdleWatches = 64

var idleWatches atomic.Int32

// watch joins o to the watch of done, making it if there is none.
func (o *owned) watch(done <-chan struct{}) {
	// Watch the context the goroutine was given, not the layers added to
	// it, unless a sink's layer changed when it is done: the context
	// package finds its cancelCtx through fewer Value calls.
	watched := o.ctx
	if o.Context.Done() == done {
		watched = o.Context
	}
	if _, ok := watches.Load(done); !ok && !seenBefore(done) {
		w := &watch{key: done, private: true}
		w.mu.Lock()
		w.stop = context.AfterFunc(watched, w.fire)
		w.link(o)
		w.mu.Unlock()
		return
	}
	for {
		var w *watch
		if v, ok := watches.Load(done); ok {
			w = v.(*watch)
			w.mu.Lock()
		} else {
			w = &watch{key: done, keepIdle: o.st.Mode == core.Observe}
			w.mu.Lock()
			if v, loaded := watches.LoadOrStore(done, w); loaded {
				w.mu.Unlock()
				w = v.(*watch)
				w.mu.Lock()
			} else {
				w.stop = context.AfterFunc(watched, w.fire)
			}
		}
		if w.dead {
			w.mu.Unlock()
			continue // it was removed from watches before we locked it
		}
		w.link(o)
		w.mu.Unlock()
		return
	}
}

// link adds o to w's list. w.mu must be held.
func (w *watch) link(o *owned) {
	o.w, o.prev, o.next, o.linked = w, nil, w.head, true
	if w.head != nil {
		w.head.prev = o
	}
	w.head = o
	w.n++
	if w.idle {
		w.idle = false
		idleWatches.Add(-1)
	}
}

// unlink removes o from w's list. w.mu must be held.
func (w *watch) unlink(o *owned) {
	if o.prev != nil {
		o.prev.next = o.next
	} else {
		w.head = o.next
	}
	if o.next != nil {
		o.next.prev = o.prev
	}
	o.prev, o.next, o.linked = nil, nil, false
	w.n--
}

// emptied keeps w, left without goroutines, or drops it and returns its
// registration's stop function, to be called once w.mu is released.
func (w *watch) emptied() (stop func() bool) {
	if w.keepIdle && !w.private {
		if idleWatches.Add(1) <= maxIdleWatches {
			w.idle = true
			return nil
		}
		idleWatches.Add(-1)
	}
	w.remove()
	return w.stop
}

// seen remembers the Done channels of watched contexts, by address, in a
// small direct-mapped table. A stale address that a new channel reuses only
// makes its first goroutine share a watch.
var seen [256]atomic.Uintptr

// seenBefore reports whether done was watched recently, and remembers it.
func seenBefore(done <-chan struct{}) bool {
	p := reflect.ValueOf(done).Pointer()
	slot := &seen[(p>>4)%uintptr(len(seen))]
	if slot.Load() == p {
		return true
	}
	slot.Store(p)
	return false
}

// remove takes w out of watches. w.mu must be held.
func (w *watch) remove() {
	w.dead = true
	if w.idle {
		w.idle = false
		idleWatches.Add(-1)
	}
	if !w.private {
		watches.CompareAndDelete(w.key, w)
	}
}

// fire runs, in a goroutine of the context package's, when the watched
// context is done.
func (w *watch) fire() {
	now := time.Now()
	w.mu.Lock()
	w.remove()
	w.doneAt = now
	for w.head != nil {
		o := w.head
		w.unlink(o)
		c := &canceled{doneAt: now}
		c.pending.Add(1) // onDone's
		o.c = c
		w.mu.Unlock()
		o.onDone(c)
		w.mu.Lock()
	}
	w.mu.Unlock()
}

// unwatch leaves the watch as the goroutine exits, filling in the exit
// event's time, latency and error if the context was done.
func (o *owned) unwatch(e *custody.Event) {
	w := o.w
	w.mu.Lock()
	if o.linked {
		w.unlink(o)
		if !w.dead {
			if isClosed(w.key) {
				// Done, but the callback, which the context package runs
				// in a goroutine of its own, has not started yet.
				w.mu.Unlock()
				o.doneBeforeExit(time.Now(), e)
				return
			}
			var stop func() bool
			if w.n == 0 {
				stop = w.emptied()
			}
			w.mu.Unlock()
			if stop != nil {
				stop()
			}
			return
		}
		// The context is done and the callback has not reached o yet.
		doneAt := w.doneAt
		w.mu.Unlock()
		o.doneBeforeExit(doneAt, e)
		return
	}
	c := o.c
	w.mu.Unlock()
	// onDone has run or is running: wait for its event, and for onGrace's
	// if it armed the timer and the timer has fired. The exit time is taken
	// under the lock, so that an onGrace that reports does so earlier.
	c.mu.Lock()
	c.returned = true
	e.Time = time.Now()
	grace := c.grace
	c.mu.Unlock()
	if grace != nil && grace.Stop() {
		c.pending.Done() // onGrace will never run
	}
	c.pending.Wait()
	e.Latency = max(e.Time.Sub(c.doneAt), 0)
	e.Err = o.ctx.Err()
}

// isClosed reports whether done is closed, without blocking.
func isClosed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// doneBeforeExit reports that o's context was done at doneAt, as onDone
// would have, and fills in the exit event.
//
//go:noinline
func (o *owned) doneBeforeExit(doneAt time.Time, e *custody.Event) {
	err := o.ctx.Err()
	spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutineContextDone,
		Time:      doneAt,
		Site:      o.rec.Spawn,
		Goroutine: &o.rec,
		Err:       err,
	})
	e.Time = time.Now()
	e.Latency = max(e.Time.Sub(doneAt), 0)
	e.Err = err
}

// onDone reports that o's context is done and arms the grace timer, unless
// o has returned meanwhile.
func (o *owned) onDone(c *canceled) {
	defer c.pending.Done()
	spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutineContextDone,
		Time:      c.doneAt,
		Site:      o.rec.Spawn,
		Goroutine: &o.rec,
		Err:       o.ctx.Err(),
	})
	// The timer starts only now, so that onGrace cannot report before the
	// sink has received the event above, however long that took; the
	// grace still counts from doneAt.
	c.mu.Lock()
	if !c.returned {
		c.pending.Add(1) // onGrace's; ours is still held, so the count is not zero
		c.grace = time.AfterFunc(max(spine.Grace(o.st)-time.Since(c.doneAt), 0), func() { o.onGrace(c) })
	}
	c.mu.Unlock()
}

// onGrace runs, in a timer goroutine, the cancel grace after o's context
// was done.
func (o *owned) onGrace(c *canceled) {
	defer c.pending.Done()
	now := time.Now()
	c.mu.Lock()
	returned := c.returned
	c.mu.Unlock()
	if returned {
		return
	}
	spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutineIgnoredCancel,
		Time:      now,
		Site:      o.rec.Spawn,
		Goroutine: &o.rec,
		Latency:   now.Sub(c.doneAt),
		Err:       o.ctx.Err(),
	})
}
