package safego

import (
	"context"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// Go starts fn(ctx) in a new goroutine named name. With custody on, fn's
// ctx carries the goroutine's record, whose parent is the record
// [custody.FromContext] finds in ctx, and a panic in fn is handled as the
// package documentation says.
// Go panics if ctx or fn is nil or name is empty.
//
//go:noinline
func Go(ctx context.Context, name string, fn func(ctx context.Context)) {
	if ctx == nil || name == "" || fn == nil {
		badArgs("Go", ctx == nil, name, fn == nil)
	}
	st := core.Load()
	if st == nil {
		go fn(ctx)
		return
	}
	site, stack := spawnSite(st.Mode, callerPC(), 0)
	spawn(st, ctx, custody.FromContext(ctx), name, fn, site, stack)
}

// badArgs panics for the first missing argument of method: a nil context, an
// empty name or a nil function.
func badArgs(method string, nilCtx bool, name string, nilFn bool) {
	switch {
	case nilCtx:
		panic("safego: " + method + " called with a nil context")
	case name == "":
		panic("safego: " + method + " called with an empty name")
	case nilFn:
		panic("safego: " + method + " called with a nil function")
	}
}

// spawnSite returns the site of the call to the API function that calls it
// (through skip more frames), and in verify mode the stack there. pc is what
// callerPC returned in that API function.
func spawnSite(mode core.Mode, pc uintptr, skip int) (custody.Site, custody.Stack) {
	if mode == core.Verify {
		stack := spine.Callers(skip + 2)
		if len(stack) == 0 {
			return 0, nil
		}
		return custody.Site(stack[0]), stack
	}
	if fastSite {
		return custody.Site(pc), nil
	}
	return spine.Caller(skip + 2), nil
}

// start runs fn as an owned goroutine if custody is on, or with a bare go
// statement if it is off.
func start(ctx context.Context, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	st := core.Load()
	if st == nil {
		go fn(ctx)
		return
	}
	spawn(st, ctx, custody.FromContext(ctx), name, fn, site, stack)
}

// spawn starts fn as an owned goroutine reporting to the sinks of st.
func spawn(st *core.State, ctx context.Context, parent *custody.Goroutine, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	o := &owned{fn: fn}
	o.init(st, ctx, parent, name, site)
	o.spawned(stack) // before the go statement: the sink knows the goroutine before it can exit
	go o.run()
}

// fastSite tells whether callerPC reads the same call sites as
// runtime.Callers on this platform, checked once.
var fastSite = checkCallerPC()

//go:noinline
func checkCallerPC() bool {
	fast, slow := probeSites()
	return fast != 0 && fast == slow
}

// probeSites returns the site of its call as callerPC and runtime.Callers
// read it.
//
//go:noinline
func probeSites() (fast, slow uintptr) {
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	return callerPC(), pc[0]
}

// An owned is the state of one owned goroutine while it runs. It is also the
// innermost layer of the goroutine's context: a [context.Context] that wraps
// the context the goroutine was given and carries its record, so that the
// state, the record and that layer are one allocation.
type owned struct {
	context.Context // the context the goroutine was given

	rec custody.Goroutine
	// st is the set of sinks installed when the goroutine started: it
	// reports to them, and is pinned in st until its exit is reported.
	st     *core.State
	ctx    context.Context       // the context fn runs with: o, as the sinks adjusted it
	labels context.Context       // holds the pprof labels the goroutine sets
	fn     func(context.Context) // nil for a Group's member, once fn returned

	// The context watch (watch.go): w is nil when ctx can never be done.
	// prev, next and linked are guarded by w.mu, and so is c, which the
	// watch sets when it takes o off its list to report ctx done.
	w          *watch
	prev, next *owned
	linked     bool
	c          *canceled
}

// Value returns the record for custody's key and nil for a [spine.LocalKey],
// and asks the context the goroutine was given for any other.
func (o *owned) Value(key any) any {
	switch key.(type) {
	case core.RecordKey:
		return &o.rec
	case spine.LocalKey:
		return nil
	}
	return o.Context.Value(key)
}

// String describes the context as the context package's own do.
func (o *owned) String() string { return spine.ContextString(o.Context, "custody", &o.rec) }

// init makes the record of a goroutine about to start, the context it will
// run with, as the sinks adjust it, and its labels.
func (o *owned) init(st *core.State, ctx context.Context, parent *custody.Goroutine, name string, site custody.Site) {
	o.Context, o.st = ctx, st
	o.rec = custody.Goroutine{ID: core.NextID(), Name: name, Spawn: site, Parent: parent, Start: time.Now()}
	st.Pin()
	o.ctx = spine.Start(st, o, &o.rec)
	o.labels = labels(st.Mode, o.ctx, &o.rec)
	if st.Mode == core.Verify {
		o.ctx = o.labels // fn's context carries the labels, as pprof.Do's would
	}
}

// spawned reports the spawn.
//
//go:noinline
func (o *owned) spawned(stack custody.Stack) {
	e := events.Get().(*custody.Event)
	*e = custody.Event{
		Kind:      custody.GoroutineSpawned,
		Time:      o.rec.Start,
		Site:      o.rec.Spawn,
		Goroutine: &o.rec,
		Stack:     stack,
	}
	spine.ToPooled(o.st, o.ctx, e)
	*e = custody.Event{}
	events.Put(e)
}

// run is the body of a goroutine started by Go. It reports the exit itself
// when fn returns, and leaves to the deferred ended only a panic or a
// runtime.Goexit in fn. fn is held only by run's frame while it runs: o is
// reachable from the context watch, its grace timer and the sinks, and
// through o.fn whatever fn holds (the channel it is blocked on, say) would
// be too, which the goroutineleak profile needs unreachable to prove a
// leak.
func (o *owned) run() {
	o.begin()
	defer o.ended()
	fn := o.fn
	o.fn = nil
	fn(o.ctx)
	o.exit()
}

// begin labels the calling goroutine and starts watching its context.
func (o *owned) begin() {
	pprof.SetGoroutineLabels(o.labels)
	o.labels = nil
	if done := o.ctx.Done(); done != nil {
		o.watch(done)
	}
}

// ended is deferred by run. It reports a panic in fn and the exit, or only
// the exit when fn called runtime.Goexit.
func (o *owned) ended() {
	if o.st == nil {
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
// they hold back before a panic that may end the process is raised again.
// A sink that does not return by then is abandoned, flushing on in its own
// goroutine.
func flushBeforePanic(st *core.State, ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	done := make(chan struct{}) // [owned by: flushBeforePanic] [closed by: flushBeforePanic]
	go func() {
		defer close(done)
		spine.Flush(st, ctx)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// panicked reports a panic in fn. It is kept out of line, as are the other
// reporters, so that the frames of a running owned goroutine stay small.
//
//go:noinline
func (o *owned) panicked(v any, stack custody.Stack) (verified bool) {
	return spine.To(o.st, o.ctx, &custody.Event{
		Kind:      custody.GoroutinePanicked,
		Site:      o.rec.Spawn,
		Goroutine: &o.rec,
		Value:     v,
		Stack:     stack,
	})
}

// exit stops the context watch and reports the exit, once; the exit time
// is read from the monotonic clock only, as an offset from the start.
//
// An owned goroutine's stack is often still its initial one here: the
// event comes from a pool rather than from exit's frame, so that the frames
// down to a sink's Emit fit and the stack need not grow to report the exit.
//
//go:noinline
func (o *owned) exit() {
	e := events.Get().(*custody.Event)
	*e = custody.Event{Kind: custody.GoroutineExited, Site: o.rec.Spawn, Goroutine: &o.rec}
	if o.w != nil {
		o.unwatch(e)
	}
	if e.Time.IsZero() {
		e.Time = o.rec.Start.Add(time.Since(o.rec.Start))
	}
	st := o.st
	spine.ToPooled(st, o.ctx, e)
	*e = custody.Event{}
	events.Put(e)
	o.st = nil
	st.Unpin()
}

// events holds the spawn and exit events.
var events = sync.Pool{New: func() any { return new(custody.Event) }}

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

// A canceled is what an owned goroutine whose context was done while it ran
// keeps for its exit: when that was, and the grace timer.
type canceled struct {
	doneAt  time.Time
	pending sync.WaitGroup // the watch's onDone, and onGrace once armed

	mu       sync.Mutex
	returned bool
	grace    *time.Timer
}
