package safego

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Group is an [errgroup.Group] whose members are owned goroutines: each has
// a name, a spawn site and a [custody.Goroutine] record whose parent is the
// group's own record, made by [WithContext] with the group's name and the
// identity of the context it was given. Errors, cancellation and limits
// behave as errgroup's, but for a misuse of SetLimit that errgroup lets hang
// (see [Group.SetLimit]); a panic in a member does not (see below).
//
// A Group should not be reused for different tasks, must not be copied after
// first use, and is safe for concurrent use by multiple goroutines, as
// errgroup's is.
//
// A zero Group is valid, has no limit, does not cancel on error, and gives
// its members context.Background() and no parent record: use [WithContext]
// to tie members to a context and an owner.
//
// # Panics
//
// errgroup lets a member's panic crash the process from the member's
// goroutine; conc's pool re-raises it in Wait. A Group takes conc's side:
// Wait is where the owner learns how its members ended, so a panic belongs
// there, with the member's name and stack, on the owner's stack. The first
// member to panic wins: its panic is recovered and turned into the member's
// error, which, as errgroup does with any error, cancels the group's context
// (context.Cause is the [*PanicError]); Wait waits for the other members and
// then panics with a *PanicError that holds the original value (Unwrap
// returns it when it is an error) and the panicking member's stack, which
// the panic message includes. Later panics are counted in that PanicError.
// Panics take this path in every mode, off included, so a program behaves
// the same whether custody watches it or not; in observe and verify mode
// every member panic is also reported as a [custody.GoroutinePanicked]
// event when it happens. The price is errgroup's warning: a panic surfaces
// only when Wait returns, so always call Wait; a member that stays blocked
// because another panicked (cancellation of the group's context is the
// remedy) delays it.
type Group struct {
	eg     atomic.Pointer[errgroup.Group] // set by WithContext, or on first use
	ctx    context.Context                // nil in a zero Group
	cancel context.CancelCauseFunc        // ctx's; nil in a zero Group
	rec    *custody.Goroutine             // nil in a zero Group or when custody was off
	name   string

	mu     sync.Mutex
	err    error         // the first member error, with which ctx was canceled
	sem    chan struct{} // a token per active member under SetLimit's limit; nil: no limit
	active int           // members started, or waiting in Go for a slot, that have not returned
	panic  *PanicError   // the first member panic
	others int           // later member panics
}

// WithContext returns a new Group named name and a context derived from ctx,
// canceled the first time a member returns a non-nil error or panics, or the
// first time Wait returns, whichever occurs first, as errgroup.WithContext's
// is; its context.Cause is that first error. The returned context keeps
// ctx's identity: the group's record is the parent of its members, not of
// code that uses the context.
//
// WithContext panics if ctx is nil or name is empty.
func WithContext(ctx context.Context, name string) (*Group, context.Context) {
	if ctx == nil {
		panic("safego: WithContext called with a nil context")
	}
	if name == "" {
		panic("safego: WithContext called with an empty name")
	}
	// The Group cancels the context itself, not errgroup: a member's slot
	// under SetLimit must be given back only after its error canceled the
	// context, as errgroup gives its own back, so that the member waiting
	// for the slot starts with the context already done.
	gctx, cancel := context.WithCancelCause(ctx)
	g := &Group{ctx: gctx, cancel: cancel, name: name}
	g.eg.Store(new(errgroup.Group))
	if spine.Mode() != core.Off {
		g.rec = spine.NewGoroutine(custody.FromContext(ctx), name, spine.Caller(1))
	}
	return g, gctx
}

// Go calls fn in a new owned goroutine named name, as errgroup's Go does:
// it blocks until the goroutine can be added without exceeding the limit set
// by SetLimit, and the first member to return a non-nil error cancels the
// group's context and has its error returned by Wait. fn's ctx is the group's
// context carrying the member's record, as [Go] describes; the member
// reports [custody.GoroutineSpawned] itself, once it has started, because
// before that it may be waiting for a free slot.
//
// The first call to Go must happen before a Wait. Go panics if fn is nil or
// name is empty.
func (g *Group) Go(name string, fn func(ctx context.Context) error) {
	check("Go", name, fn)
	mode := spine.Mode()
	site, stack := memberSite(mode)
	g.mu.Lock()
	sem := g.sem
	g.active++
	g.mu.Unlock()
	if sem != nil {
		sem <- struct{}{} // blocks while the limit is reached, as errgroup's Go does
	}
	g.group().Go(g.member(mode, name, fn, site, stack, sem))
}

// TryGo calls fn in a new owned goroutine named name, as Go does, only if the
// number of active members is below the limit. It reports whether the
// goroutine was started; if it was not, nothing is reported to the sink.
//
// TryGo panics if fn is nil or name is empty.
func (g *Group) TryGo(name string, fn func(ctx context.Context) error) bool {
	check("TryGo", name, fn)
	mode := spine.Mode()
	site, stack := memberSite(mode)
	g.mu.Lock()
	sem := g.sem
	if sem != nil {
		select {
		case sem <- struct{}{}:
		default:
			g.mu.Unlock()
			return false
		}
	}
	g.active++
	g.mu.Unlock()
	g.group().Go(g.member(mode, name, fn, site, stack, sem))
	return true
}

// SetLimit limits the number of active members to at most n, with
// errgroup's meaning: a negative n means no limit, and zero prevents any new
// member from starting (Go blocks, TryGo returns false). A negative limit is
// therefore not an error, and, as in errgroup, may be set even while members
// are active. A limit of zero or more must not be set while members are
// active, or while Go waits for a slot: SetLimit then panics with a message
// that starts with "safego:". (errgroup panics only when it already had a
// limit; without one, the change makes its active members wait forever for
// a slot they never took. The Group keeps the limit itself so that it can
// tell.)
func (g *Group) SetLimit(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n < 0 {
		g.sem = nil
		return
	}
	if g.active > 0 {
		group := "the group"
		if g.name != "" {
			group = "group " + strconv.Quote(g.name)
		}
		members := "members"
		if g.active == 1 {
			members = "member"
		}
		panic(fmt.Sprintf("safego: SetLimit(%d) called while %s has %d active %s", n, group, g.active, members))
	}
	g.sem = make(chan struct{}, n)
}

// Wait blocks until every member has returned. If a member panicked, Wait
// then panics with a [*PanicError] for the first one (see "Panics" on
// [Group]), after giving the sink, if it has a Flush method, up to two
// seconds to deliver what it holds back (see [custody.Flush]); otherwise it
// returns the first non-nil error a member returned, or nil. Like
// errgroup's, it cancels the group's context.
func (g *Group) Wait() error {
	_ = g.group().Wait() // the members' errors reach g.err through endMember
	g.mu.Lock()
	err, p, others := g.err, g.panic, g.others
	g.mu.Unlock()
	if g.cancel != nil {
		g.cancel(err)
	}
	if p != nil {
		pe := *p
		pe.Others = others
		ctx := g.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		if st := core.Load(); st != nil {
			flushBeforePanic(st, ctx)
		}
		panic(&pe)
	}
	return err
}

// fail records err as the group's error and cancels its context with it,
// if it is the first.
func (g *Group) fail(err error) {
	g.mu.Lock()
	first := g.err == nil
	if first {
		g.err = err
	}
	g.mu.Unlock()
	if first && g.cancel != nil {
		g.cancel(err)
	}
}

// group returns the errgroup, making it on a zero Group's first use.
func (g *Group) group() *errgroup.Group {
	if eg := g.eg.Load(); eg != nil {
		return eg
	}
	g.eg.CompareAndSwap(nil, new(errgroup.Group))
	return g.eg.Load()
}

func check(method, name string, fn func(context.Context) error) {
	if name == "" {
		panic("safego: Group." + method + " called with an empty name")
	}
	if fn == nil {
		panic("safego: Group." + method + " called with a nil function")
	}
}

// memberSite returns the site of the call to Group.Go or Group.TryGo, and
// in verify mode the stack there.
func memberSite(mode core.Mode) (custody.Site, custody.Stack) {
	if mode == core.Off {
		return 0, nil
	}
	return spawnSite(mode, 2)
}

// member returns the function the errgroup runs for fn: fn as an owned
// goroutine (or bare, when custody was off at the call to Go), with a panic
// turned into the member's error.
func (g *Group) member(mode core.Mode, name string, fn func(context.Context) error, site custody.Site, stack custody.Stack, sem chan struct{}) func() error {
	ctx := g.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if mode == core.Off {
		return func() (err error) {
			defer g.endMember(nil, name, &err, sem)
			return fn(ctx)
		}
	}
	parent := g.rec
	if parent == nil {
		parent = custody.FromContext(ctx)
	}
	return func() (err error) {
		st := core.Load()
		if st == nil { // custody was turned off since Go was called
			defer g.endMember(nil, name, &err, sem)
			return fn(ctx)
		}
		o := newOwned(st, ctx, parent, name, site)
		o.wake = o.onDone
		o.spawned(stack)
		o.begin()
		defer g.endMember(o, name, &err, sem)
		return fn(o.ctx)
	}
}

// endMember is deferred by a member. It turns a panic into the member's
// error, reports it, reports the member's exit and gives back its slot in
// sem, the limit's when it started.
func (g *Group) endMember(o *owned, name string, err *error, sem chan struct{}) {
	if v := recover(); v != nil {
		stack := panicStack()
		p := &PanicError{Name: name, Group: g.name, Value: v, Stack: stack}
		if o != nil {
			p.Goroutine = o.rec
			o.panicked(v, stack)
		}
		g.mu.Lock()
		if g.panic == nil {
			g.panic = p
		} else {
			g.others++
		}
		g.mu.Unlock()
		*err = p
	}
	if o != nil {
		o.exit()
	}
	if *err != nil {
		g.fail(*err)
	}
	if sem != nil {
		<-sem
	}
	g.mu.Lock()
	g.active--
	g.mu.Unlock()
}
