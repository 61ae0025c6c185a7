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
// before share a published watch, which, left empty, stays registered for
// the next goroutine of its context (a server's, a group's), up to
// maxIdleWatches of them at once, beyond which it is dropped. In verify
// mode every goroutine has a private watch: a test keeps no registration
// past its goroutines.
type watch struct {
	key      <-chan struct{}
	keepIdle bool
	private  bool        // not in watches: one goroutine's
	stop     func() bool // the registration's; set before any goroutine joins

	// The goroutines, in shards by record ID, so that goroutines joining
	// and leaving on different processors seldom wait for each other: a
	// private watch has one shard, a shared one watchShards.
	shards []watchShard
	one    [1]watchShard // a private watch's shards
	n      atomic.Int32  // goroutines linked; changed under their shard's lock
	idle   atomic.Bool   // counted in idleWatches
	// dead is set, after doneAt if the context is done, when w leaves
	// watches: no goroutine may join it then. A joiner reads it under its
	// shard's lock, and fire and drop set it before they empty the shards.
	dead   atomic.Bool
	doneAt time.Time // when the callback ran, if it did
}

const watchShards = 8

type watchShard struct {
	mu   sync.Mutex
	head *owned
	_    [48]byte // a cache line of its own
}

// watches holds the shared watches by Done channel.
var watches sync.Map

// maxIdleWatches bounds the empty watches kept in observe mode. Each holds
// the context it watches (and, for a context type the context package does
// not know, a goroutine of that package's) until it is done.
const maxIdleWatches = 64

var idleWatches atomic.Int32

// shard returns the shard of o's list.
func (w *watch) shard(o *owned) *watchShard { return &w.shards[o.rec.ID%uint64(len(w.shards))] }

// newWatch returns a watch of done: private, with one shard, or shared.
func newWatch(done <-chan struct{}, private, keepIdle bool) *watch {
	w := &watch{key: done, private: private, keepIdle: keepIdle}
	if private {
		w.shards = w.one[:]
	} else {
		w.shards = make([]watchShard, watchShards)
	}
	return w
}

// watch joins o to a watch of done.
func (o *owned) watch(done <-chan struct{}) {
	// Watch the context the goroutine was given, not the layers added to
	// it, unless a sink's layer changed when it is done: the context
	// package finds its cancelCtx through fewer Value calls.
	watched := o.ctx
	if o.Context.Done() == done {
		watched = o.Context
	}
	if o.st.Mode == core.Verify || !sharedBefore(done) {
		w := newWatch(done, true, false)
		sh := w.shard(o)
		sh.mu.Lock()
		w.stop = context.AfterFunc(watched, w.fire)
		w.link(sh, o)
		sh.mu.Unlock()
		return
	}
	for {
		var w *watch
		if v, ok := watches.Load(done); ok {
			w = v.(*watch)
		} else {
			// Made with every shard locked, so that no goroutine joins it
			// before its registration is set.
			w = newWatch(done, false, o.st.Mode == core.Observe)
			w.lockAll()
			if v, loaded := watches.LoadOrStore(done, w); loaded {
				w.unlockAll()
				w = v.(*watch)
			} else {
				w.stop = context.AfterFunc(watched, w.fire)
				w.unlockAll()
			}
		}
		sh := w.shard(o)
		sh.mu.Lock()
		if w.dead.Load() {
			sh.mu.Unlock()
			continue // it left watches before we locked it
		}
		w.link(sh, o)
		sh.mu.Unlock()
		return
	}
}

func (w *watch) lockAll() {
	for i := range w.shards {
		w.shards[i].mu.Lock()
	}
}

func (w *watch) unlockAll() {
	for i := range w.shards {
		w.shards[i].mu.Unlock()
	}
}

// link adds o to sh, a shard of w. sh.mu must be held.
func (w *watch) link(sh *watchShard, o *owned) {
	o.w, o.prev, o.next, o.linked = w, nil, sh.head, true
	if sh.head != nil {
		sh.head.prev = o
	}
	sh.head = o
	if w.n.Add(1) == 1 && w.idle.CompareAndSwap(true, false) {
		idleWatches.Add(-1)
	}
}

// unlink removes o from sh, a shard of w, and reports whether w is left
// empty. sh.mu must be held.
func (w *watch) unlink(sh *watchShard, o *owned) (empty bool) {
	if o.prev != nil {
		o.prev.next = o.next
	} else {
		sh.head = o.next
	}
	if o.next != nil {
		o.next.prev = o.prev
	}
	o.prev, o.next, o.linked = nil, nil, false
	return w.n.Add(-1) == 0
}

// emptied keeps w, left without goroutines, for the next goroutine of its
// context, or drops it.
func (w *watch) emptied() {
	if w.keepIdle && !w.private {
		if !w.idle.CompareAndSwap(false, true) {
			return
		}
		if idleWatches.Add(1) <= maxIdleWatches {
			return
		}
	}
	w.drop()
}

// drop takes w out of watches and stops its registration, unless a
// goroutine joined it meanwhile or its context is done.
func (w *watch) drop() {
	if !w.private {
		w.lockAll()
		if w.n.Load() != 0 || w.dead.Load() {
			w.unlockAll()
			return
		}
	}
	w.remove()
	if !w.private {
		w.unlockAll()
	}
	w.stop()
}

// remove marks w dead and takes it out of watches.
func (w *watch) remove() {
	w.dead.Store(true)
	if w.idle.CompareAndSwap(true, false) {
		idleWatches.Add(-1)
	}
	if !w.private {
		watches.CompareAndDelete(w.key, w)
	}
}

// fire runs, in a goroutine of the context package's, when the watched
// context is done. It reports to each goroutine still linked.
func (w *watch) fire() {
	now := time.Now()
	w.doneAt = now // before dead: a goroutine that sees dead reads it
	w.remove()
	for i := range w.shards {
		sh := &w.shards[i]
		sh.mu.Lock()
		for sh.head != nil {
			o := sh.head
			w.unlink(sh, o)
			c := &canceled{doneAt: now}
			c.pending.Add(1) // onDone's
			o.c = c
			sh.mu.Unlock()
			o.onDone(c)
			sh.mu.Lock()
		}
		sh.mu.Unlock()
	}
}

// unwatch leaves the watch as the goroutine exits, filling in the exit
// event's time, latency and error if the context was done.
func (o *owned) unwatch(e *custody.Event) {
	w := o.w
	sh := w.shard(o)
	sh.mu.Lock()
	if o.linked {
		empty := w.unlink(sh, o)
		dead := w.dead.Load()
		sh.mu.Unlock()
		switch {
		case dead:
			// The context is done and the callback has not reached o yet.
			o.doneBeforeExit(w.doneAt, e)
		case isClosed(w.key):
			// Done, but the callback, which the context package runs in
			// a goroutine of its own, has not started yet.
			o.doneBeforeExit(time.Now(), e)
		case empty:
			w.emptied()
		}
		return
	}
	c := o.c
	sh.mu.Unlock()
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

// seen remembers the Done channels of watched contexts, by address, in a
// small direct-mapped table. A stale address that a new channel reuses only
// makes its first goroutine share a watch.
var seen [256]atomic.Uintptr

// sharedBefore reports whether done has a shared watch or was watched
// recently, and remembers it.
func sharedBefore(done <-chan struct{}) bool {
	if _, ok := watches.Load(done); ok {
		return true
	}
	return seenBefore(done)
}

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
