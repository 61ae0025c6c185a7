package safego

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// Go starts fn(ctx) in a new goroutine named name.
//
// With custody off ([custody.Active] returns [core.Off]) Go is a bare go
// statement: it records nothing and allocates nothing more than `go fn(ctx)`
// does, and a panic in fn crashes the process as usual. In observe and
// verify mode the goroutine gets a [custody.Goroutine] record — name, the
// line that called Go, the parent record [custody.FromContext] finds in ctx,
// start time — which fn finds in its ctx and which goroutine dumps show as the
// pprof labels custody.id and custody.name, inherited by any goroutine fn
// starts with a raw go statement. Go reports [custody.GoroutineSpawned]
// before the goroutine starts and [custody.GoroutineExited] when fn returns,
// watches ctx as the package documentation describes, and handles a panic in
// fn as the mode says (see "Panics" there).
//
// In observe and verify mode Go costs a few microseconds and about ten
// small allocations more than a go statement; the package documentation
// gives the measurements.
//
// Go panics if ctx or fn is nil or name is empty. It is safe to call from
// any goroutine.
func Go(ctx context.Context, name string, fn func(ctx context.Context)) {
	if ctx == nil {
		panic("safego: Go called with a nil context")
	}
	if name == "" {
		panic("safego: Go called with an empty name")
	}
	if fn == nil {
		panic("safego: Go called with a nil function")
	}
	st := core.Load()
	if st == nil {
		go fn(ctx)
		return
	}
	if st.Mode == core.Observe {
		// The line that called Go, unwound here rather than in spawnSite:
		// each frame less to unwind saves about a tenth of a go statement.
		var pc [1]uintptr
		runtime.Callers(2, pc[:])
		spawn(st, ctx, name, fn, custody.Site(pc[0]), nil)
		return
	}
	site, stack := spawnSite(st.Mode, 1)
	spawn(st, ctx, name, fn, site, stack)
}

// spawnSite returns the call site skip frames above its caller and, in verify
// mode, the stack there, unwinding the stack once.
func spawnSite(mode core.Mode, skip int) (custody.Site, custody.Stack) {
	if mode != core.Verify {
		var pc [1]uintptr
		runtime.Callers(skip+2, pc[:])
		return custody.Site(pc[0]), nil
	}
	stack := spine.Callers(skip + 1)
	if len(stack) == 0 {
		return 0, nil
	}
	return custody.Site(stack[0]), stack
}

// start runs fn as an owned goroutine if custody is on, or with a bare go
// statement if it is off.
func start(ctx context.Context, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	st := core.Load()
	if st == nil {
		go fn(ctx)
		return
	}
	spawn(st, ctx, name, fn, site, stack)
}

// spawn starts fn as an owned goroutine whose parent is ctx's identity,
// reporting to the sinks of st.
func spawn(st *core.State, ctx context.Context, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	o := newOwned(st, ctx, custody.FromContext(ctx), name, site)
	o.fn = fn
	o.spawned(stack) // before the go statement: the sink knows the goroutine before it can exit
	o.wake = o.run
	go o.wake()
}

// An owned is the state of one owned goroutine while it runs: its record,
// its context, and the watch on that context.
//
// An owned is also the innermost layer of the goroutine's context: a
// [context.Context] that wraps the context the goroutine was given and
// carries its record, as [custody.NewContext] would, so that the state and
// that layer are one allocation.
type owned struct {
	context.Context // the context the goroutine was given

	rec *custody.Goroutine
	// st is the set of sinks installed when the goroutine started: it
	// reports to them, and is counted in st until its exit is reported, so
	// that an uninstall can wait for the exit.
	st  *core.State
	ctx context.Context // the context fn runs with: o, as the sinks adjusted it, with pprof labels
	fn  func(context.Context)
	// wake is the context watch's callback. For a goroutine started by Go
	// it is run, which the go statement runs first: one function value, not
	// two. Group members, whose goroutines errgroup starts, use onDone.
	wake func()
	// started is set by run when it starts as the goroutine's body.
	started bool
	// reported is set by run once it has reported the exit, for ended.
	reported bool

	// unwatch stops the context.AfterFunc that calls onDone; nil when ctx
	// can never be done.
	unwatch func() bool
	// pending counts the watch callbacks (onDone, onGrace) that may still
	// report, so that exit reports after them.
	pending sync.WaitGroup

	mu       sync.Mutex
	returned bool
	doneAt   time.Time   // when onDone saw ctx done
	grace    *time.Timer // calls onGrace CancelGrace after doneAt

	// ev is the spawned and exited event, kept here rather than on the
	// stack: an owned goroutine reports its exit on what is often still its
	// initial 2 KB stack, and an event on it would leave a sink too little
	// room. The goroutine that calls Go writes it before the go statement,
	// the owned goroutine after.
	ev custody.Event
}

// Value returns the record for custody's key, and asks the context the
// goroutine was given for any other.
func (o *owned) Value(key any) any {
	if spine.IsRecordKey(key) {
		return o.rec
	}
	return o.Context.Value(key)
}

// String describes the context as the context package's own do.
func (o *owned) String() string {
	return contextName(o.Context) + ".WithValue(custody, " + o.rec.String() + ")"
}

func contextName(c context.Context) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return reflect.TypeOf(c).String()
}

// newOwned makes the record of a goroutine about to start and the context it
// will run with: ctx carrying the record, as the active sink adjusts it, with
// the record's pprof labels.
func newOwned(st *core.State, ctx context.Context, parent *custody.Goroutine, name string, site custody.Site) *owned {
	o := &owned{Context: ctx, rec: spine.NewGoroutine(parent, name, site), st: st}
	st.Pin()
	o.ctx = pprof.WithLabels(spine.Start(st, o, o.rec), pprof.Labels(
		core.LabelID, strconv.FormatUint(o.rec.ID, 10),
		core.LabelName, name))
	return o
}

// spawned reports the spawn.
//
//go:noinline
func (o *owned) spawned(stack custody.Stack) {
	o.ev = custody.Event{
		Kind:      custody.GoroutineSpawned,
		Time:      o.rec.Start,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Stack:     stack,
	}
	spine.To(o.st, o.ctx, &o.ev)
}

// run is the body of a goroutine started by Go the first time it is called,
// and the context watch's callback after that: begin registers the watch,
// so the watch cannot call run before the body has started.
//
// As the body, run reports the exit itself when fn returns, and leaves to
// the deferred ended only a panic or a runtime.Goexit in fn: at the exit
// report the stack then holds two frames of safego's, not four.
func (o *owned) run() {
	if o.started {
		o.onDone()
		return
	}
	o.started = true
	o.begin()
	defer o.ended()
	o.fn(o.ctx)
	o.exit()
	o.reported = true
}

// begin labels the calling goroutine and starts watching its context.
func (o *owned) begin() {
	pprof.SetGoroutineLabels(o.ctx)
	if done := o.ctx.Done(); done != nil {
		// Watch the context the goroutine was given, not the layers added
		// to it, unless a sink's layer changed when it is done: the
		// context package finds its cancelCtx through fewer Value calls.
		watched := o.ctx
		if o.Context.Done() == done {
			watched = o.Context
		}
		o.pending.Add(1) // onDone's
		o.unwatch = context.AfterFunc(watched, o.wake)
	}
}

// ended is deferred by run. It reports a panic in fn and the exit, or only
// the exit when fn called runtime.Goexit.
func (o *owned) ended() {
	if o.reported {
		return // fn returned and run reported the exit
	}
	if v := recover(); v != nil {
		o.repanic(v)
		return
	}
	o.exit()
}

// repanic reports the panic v and the exit, then re-raises v unless a
// verify-mode sink received the panic, first letting the sinks flush. The
// decision is taken once, by the delivery: a sink uninstalled meanwhile
// cannot make the goroutine both skip the report and swallow the panic.
//
//go:noinline
func (o *owned) repanic(v any) {
	verified := o.panicked(v, panicStack())
	st, ctx := o.st, o.ctx
	o.exit()
	if verified {
		return // the event is the verdict's input; the owning test fails, not the binary
	}
	flushBeforePanic(st, ctx)
	panic(v)
}

// flushTimeout bounds the sinks' flush before a panic is raised again.
const flushTimeout = 2 * time.Second

// flushBeforePanic gives the sinks of st up to flushTimeout to deliver what
// they hold back before a panic that may end the process is raised again:
// a span exporter's batch would otherwise die with it. A sink that does
// not return by then is abandoned, flushing on in its own goroutine.
func flushBeforePanic(st *core.State, ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		spine.Flush(st, ctx)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// panicked is kept out of line, as are the other reporters, so that the
// frames of a running owned goroutine stay small.
//
//go:noinline
func (o *owned) panicked(v any, stack custody.Stack) (verified bool) {
	return spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutinePanicked,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Value:     v,
		Stack:     stack,
	})
}

// onDone runs, in a goroutine of the context package's, when o.ctx is done.
func (o *owned) onDone() {
	defer o.pending.Done()
	now := time.Now()
	o.mu.Lock()
	o.doneAt = now
	o.mu.Unlock()
	spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutineContextDone,
		Time:      now,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Err:       o.ctx.Err(),
	})
	// The grace timer starts only now, so that onGrace cannot report before
	// the sink has received the event above, however long that took; the
	// grace still counts from now.
	o.mu.Lock()
	if !o.returned {
		o.pending.Add(1) // onGrace's; ours is still held, so the count is not zero
		o.grace = time.AfterFunc(max(spine.Grace(o.st)-time.Since(now), 0), o.onGrace)
	}
	o.mu.Unlock()
}

// onGrace runs, in a timer goroutine, CancelGrace after o.ctx was done.
func (o *owned) onGrace() {
	defer o.pending.Done()
	now := time.Now()
	o.mu.Lock()
	returned, doneAt := o.returned, o.doneAt
	o.mu.Unlock()
	if returned {
		return
	}
	spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutineIgnoredCancel,
		Time:      now,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Latency:   now.Sub(doneAt),
		Err:       o.ctx.Err(),
	})
}

// exit stops the watch, waits for the watch callbacks already running to
// report, and reports the exit.
//
// An owned goroutine's stack is at its shallowest here, but it is often
// still the initial 2 KB one: the frames down to the sink's Emit are kept
// few so that a sink finds room and the stack does not have to grow just to
// report the exit.
func (o *owned) exit() {
	e := &o.ev
	e.Kind, e.Stack = custody.GoroutineExited, nil
	if o.unwatch == nil || o.unwatch() {
		// onDone will never run, nor will onGrace: nothing else touches
		// o, and pending's count, left at one, is never waited for.
		e.Time = time.Now()
	} else {
		// onDone has run or is about to: wait for its event, and for
		// onGrace's if it armed the timer and the timer has fired. The
		// exit time is taken under the lock, so that an onGrace that
		// reports does so with an earlier time.
		o.mu.Lock()
		o.returned = true
		e.Time = time.Now()
		grace := o.grace
		o.mu.Unlock()
		if grace != nil && grace.Stop() {
			o.pending.Done() // onGrace will never run
		}
		o.pending.Wait()
		e.Latency = max(e.Time.Sub(o.doneAt), 0) // written by onDone, which pending.Wait waited for
		e.Err = o.ctx.Err()
	}
	spine.To(o.st, o.ctx, e)
	o.st.Unpin()
}

// panicStack returns the stack of the panic being recovered by its caller,
// starting at the function that panicked: the recovering frames, the
// runtime's panic machinery and the runtime frames that raised the panic
// (a send on a closed channel, a nil dereference) are dropped.
func panicStack() custody.Stack {
	stack := spine.Callers(1)
	for i, pc := range stack {
		if f := runtime.FuncForPC(pc - 1); f != nil && f.Name() == "runtime.gopanic" {
			stack = stack[i+1:]
			break
		}
	}
	for len(stack) > 1 {
		f := runtime.FuncForPC(stack[0] - 1)
		if f == nil || !strings.HasPrefix(f.Name(), "runtime.") {
			break
		}
		stack = stack[1:]
	}
	return stack
}
