package safego

import (
	"context"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-go/custody"
)

// Go starts fn(ctx) in a new goroutine named name.
//
// With custody off ([custody.Active] returns [custody.Off]) Go is a bare go
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
	switch mode := custody.Active(); mode {
	case custody.Off:
		go fn(ctx)
	case custody.Observe:
		spawn(ctx, name, fn, custody.Caller(1), nil) // one frame less to unwind than spawnSite
	default:
		site, stack := spawnSite(mode, 1)
		spawn(ctx, name, fn, site, stack)
	}
}

// spawnSite returns the call site skip frames above its caller and, in verify
// mode, the stack there, unwinding the stack once.
func spawnSite(mode custody.Mode, skip int) (custody.Site, custody.Stack) {
	if mode != custody.Verify {
		return custody.Caller(skip + 1), nil
	}
	stack := custody.Callers(skip + 1)
	if len(stack) == 0 {
		return custody.Site{}, nil
	}
	return custody.SiteOf(stack[0]), stack
}

// start runs fn as an owned goroutine if custody is on, or with a bare go
// statement if it is off.
func start(ctx context.Context, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	if custody.Active() == custody.Off {
		go fn(ctx)
		return
	}
	spawn(ctx, name, fn, site, stack)
}

// spawn starts fn as an owned goroutine whose parent is ctx's identity.
func spawn(ctx context.Context, name string, fn func(context.Context), site custody.Site, stack custody.Stack) {
	o := newOwned(ctx, custody.FromContext(ctx), name, site)
	o.spawned(stack) // before the go statement: the sink knows the goroutine before it can exit
	go o.run(fn)
}

// An owned is the state of one owned goroutine while it runs: its record,
// its context, and the watch on that context.
type owned struct {
	rec *custody.Goroutine
	ctx context.Context // the context fn runs with

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
}

// newOwned makes the record of a goroutine about to start and the context it
// will run with: ctx carrying the record, as the active sink adjusts it, with
// the record's pprof labels.
func newOwned(ctx context.Context, parent *custody.Goroutine, name string, site custody.Site) *owned {
	rec := custody.NewGoroutine(parent, name, site)
	gctx := custody.GoroutineContext(custody.NewContext(ctx, rec), rec)
	gctx = pprof.WithLabels(gctx, pprof.Labels(
		custody.LabelID, strconv.FormatUint(rec.ID, 10),
		custody.LabelName, name))
	return &owned{rec: rec, ctx: gctx}
}

//go:noinline
func (o *owned) spawned(stack custody.Stack) {
	custody.Emit(o.ctx, custody.Event{
		Kind:      custody.GoroutineSpawned,
		Time:      o.rec.Start,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Stack:     stack,
	})
}

// run is the body of a goroutine started by Go.
func (o *owned) run(fn func(context.Context)) {
	o.begin()
	defer o.end()
	fn(o.ctx)
}

// begin labels the calling goroutine and starts watching its context.
func (o *owned) begin() {
	pprof.SetGoroutineLabels(o.ctx)
	if o.ctx.Done() != nil {
		o.pending.Add(1) // onDone's
		o.unwatch = context.AfterFunc(o.ctx, o.onDone)
	}
}

// end is deferred by run. It reports the exit, and a panic in fn.
func (o *owned) end() {
	if v := recover(); v != nil {
		o.repanic(v)
		return
	}
	o.exit()
}

// repanic reports the panic v and the exit, then re-raises v unless a
// verify-mode sink received it.
//
//go:noinline
func (o *owned) repanic(v any) {
	o.panicked(v, panicStack())
	o.exit()
	if custody.Active() == custody.Verify {
		return // the event is the verdict's input; the owning test fails, not the binary
	}
	panic(v)
}

// panicked is kept out of line, as are the other reporters, so that the
// frames of a running owned goroutine stay small.
//
//go:noinline
func (o *owned) panicked(v any, stack custody.Stack) {
	custody.Emit(o.ctx, custody.Event{
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
	if !o.returned {
		o.pending.Add(1) // onGrace's; ours is still held, so the count is not zero
		o.grace = time.AfterFunc(custody.CancelGrace(), o.onGrace)
	}
	o.mu.Unlock()
	custody.Emit(o.ctx, custody.Event{
		Kind:      custody.GoroutineContextDone,
		Time:      now,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
		Err:       o.ctx.Err(),
	})
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
	custody.Emit(o.ctx, custody.Event{
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
func (o *owned) exit() {
	now := time.Now()
	if o.unwatch != nil && o.unwatch() {
		o.pending.Done() // onDone will never run
	}
	o.mu.Lock()
	o.returned = true
	grace := o.grace
	o.mu.Unlock()
	if grace != nil && grace.Stop() {
		o.pending.Done() // onGrace will never run
	}
	o.pending.Wait()
	o.exited(now)
}

// exited reports the exit at now.
//
//go:noinline
func (o *owned) exited(now time.Time) {
	e := custody.Event{
		Kind:      custody.GoroutineExited,
		Time:      now,
		Site:      o.rec.Spawn,
		Goroutine: o.rec,
	}
	if !o.doneAt.IsZero() { // written by onDone, which pending.Wait waited for
		e.Latency = max(now.Sub(o.doneAt), 0)
		e.Err = o.ctx.Err()
	}
	custody.Emit(o.ctx, e)
}

// panicStack returns the stack of the panic being recovered by its caller,
// starting at the function that panicked: the recovering frames, the
// runtime's panic machinery and the runtime frames that raised the panic
// (a send on a closed channel, a nil dereference) are dropped.
func panicStack() custody.Stack {
	stack := custody.Callers(1)
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
