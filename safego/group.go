package safego

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Group is an errgroup.Group of owned goroutines: each member's record
// has the group's record as its parent. Errors, cancellation and limits
// behave as errgroup's. A member's panic becomes its error, which cancels
// the group's context, and [Group.Wait] raises it again as a [*PanicError],
// in every mode: always call Wait.
//
// A Group must not be copied after first use. A zero Group has no limit,
// does not cancel on error, and gives its members context.Background().
type Group struct {
	ctx    context.Context         // nil in a zero Group
	cancel context.CancelCauseFunc // ctx's; nil in a zero Group
	rec    *custody.Goroutine      // nil in a zero Group or when custody was off
	name   string

	wg      sync.WaitGroup
	sem     atomic.Pointer[chan struct{}] // a token per member under SetLimit's limit; nil: no limit
	active  atomic.Int64                  // members started, or waiting in Go for a slot, that have not returned
	errOnce sync.Once
	err     error

	mu     sync.Mutex
	panic  *PanicError // the first member panic
	others int         // later member panics
}

// WithContext returns a new Group named name and a context derived from ctx,
// canceled, with the first error as its cause, when a member returns an
// error or panics, or when Wait returns. The context keeps ctx's identity.
// WithContext panics if ctx is nil or name is empty.
func WithContext(ctx context.Context, name string) (*Group, context.Context) {
	if ctx == nil || name == "" {
		badArgs("WithContext", ctx == nil, name, false)
	}
	gctx, cancel := context.WithCancelCause(ctx)
	g := &Group{ctx: gctx, cancel: cancel, name: name}
	if spine.Mode() != core.Off {
		g.rec = spine.NewGoroutine(custody.FromContext(ctx), name, spine.Caller(1))
	}
	return g, gctx
}

// Go calls fn in a new owned goroutine named name, once that does not exceed
// the limit: until then Go blocks, and a Wait that starts meanwhile waits
// for the member too. fn's ctx is the group's context with the member's
// record.
// Go panics if fn is nil or name is empty.
//
//go:noinline
func (g *Group) Go(name string, fn func(ctx context.Context) error) {
	if name == "" || fn == nil {
		badArgs("Group.Go", false, name, fn == nil)
	}
	site, stack := memberSite(callerPC())
	g.active.Add(1)
	g.wg.Add(1) // before waiting for a slot, so that a Wait started meanwhile waits for this member
	var sem chan struct{}
	if p := g.sem.Load(); p != nil {
		sem = *p
		sem <- struct{}{}
	}
	g.start(name, fn, sem, site, stack)
}

// TryGo calls fn as Go does only if the number of active members is below
// the limit, and reports whether it did.
// TryGo panics if fn is nil or name is empty.
//
//go:noinline
func (g *Group) TryGo(name string, fn func(ctx context.Context) error) bool {
	if name == "" || fn == nil {
		badArgs("Group.TryGo", false, name, fn == nil)
	}
	var sem chan struct{}
	if p := g.sem.Load(); p != nil {
		sem = *p
		select {
		case sem <- struct{}{}:
		default:
			return false
		}
	}
	site, stack := memberSite(callerPC())
	g.active.Add(1)
	g.wg.Add(1)
	g.start(name, fn, sem, site, stack)
	return true
}

// SetLimit limits the number of active members to at most n. A negative n
// means no limit; zero prevents any new member from starting (Go blocks,
// TryGo returns false). A limit of zero or more must not be set while
// members are active or while Go waits for a slot: SetLimit then panics.
// Lifting the limit with a negative n is allowed at any time.
func (g *Group) SetLimit(n int) {
	if n < 0 {
		g.sem.Store(nil)
		return
	}
	if active := g.active.Load(); active > 0 {
		group := "the group"
		if g.name != "" {
			group = "group " + strconv.Quote(g.name)
		}
		members := "members"
		if active == 1 {
			members = "member"
		}
		panic(fmt.Sprintf("safego: SetLimit(%d) called while %s has %d active %s", n, group, active, members))
	}
	sem := make(chan struct{}, n) // [buffered: n] [owned by: Group] [closed by: never]
	g.sem.Store(&sem)
}

// Wait blocks until every member has returned and cancels the group's
// context. It returns the first error a member returned, or, if a member
// panicked, panics with a [*PanicError] for the first one, after giving the
// sinks up to two seconds to flush.
func (g *Group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel(g.err)
	}
	g.mu.Lock()
	p, others := g.panic, g.others
	g.mu.Unlock()
	if p != nil {
		pe := *p
		pe.Others = others
		if st := core.Load(); st != nil {
			flushBeforePanic(st, g.context())
		}
		panic(&pe)
	}
	return g.err
}

// context returns the members' context.
func (g *Group) context() context.Context {
	if g.ctx == nil {
		return context.Background()
	}
	return g.ctx
}

// memberSite returns the site of the call to Group.Go or Group.TryGo, and
// in verify mode the stack there; pc is what callerPC returned there.
func memberSite(pc uintptr) (custody.Site, custody.Stack) {
	mode := spine.Mode()
	if mode == core.Off {
		return 0, nil
	}
	return spawnSite(mode, pc, 1)
}

// start starts fn as a member holding a slot of sem, if sem is not nil.
func (g *Group) start(name string, fn func(context.Context) error, sem chan struct{}, site custody.Site, stack custody.Stack) {
	st := core.Load()
	if st == nil {
		go g.runBare(name, fn, sem)
		return
	}
	parent := g.rec
	if parent == nil {
		parent = custody.FromContext(g.context())
	}
	m := &member{g: g, fn: fn, sem: sem}
	m.init(st, g.context(), parent, name, site)
	m.spawned(stack)
	go m.run()
}

// runBare runs fn as a member with custody off.
func (g *Group) runBare(name string, fn func(context.Context) error, sem chan struct{}) {
	var err error
	defer g.endBare(name, &err, sem)
	err = fn(g.context())
}

// endBare is deferred by runBare: it turns a panic into the member's error.
func (g *Group) endBare(name string, err *error, sem chan struct{}) {
	if v := recover(); v != nil {
		p := &PanicError{Name: name, Group: g.name, Value: v, Stack: panicStack()}
		g.recordPanic(p)
		*err = p
	}
	g.done(*err, sem)
}

// recordPanic keeps p if it is the group's first panic, else counts it.
func (g *Group) recordPanic(p *PanicError) {
	g.mu.Lock()
	if g.panic == nil {
		g.panic = p
	} else {
		g.others++
	}
	g.mu.Unlock()
}

// done ends a member that returned err: the first error cancels the
// group's context, before the member's slot is given back, so that a member
// waiting for the slot starts with the context already done.
func (g *Group) done(err error, sem chan struct{}) {
	if err != nil {
		g.errOnce.Do(func() {
			g.err = err
			if g.cancel != nil {
				g.cancel(err)
			}
		})
	}
	if sem != nil {
		<-sem
	}
	g.active.Add(-1)
	g.wg.Done()
}

// A member is an owned goroutine of a Group.
type member struct {
	owned
	g   *Group
	fn  func(context.Context) error
	sem chan struct{} // [owned by: Group] [closed by: never] the group's, from SetLimit
	err error
}

// run is the body of a member's goroutine.
func (m *member) run() {
	m.begin()
	defer m.end()
	m.err = m.fn(m.ctx)
}

// end is deferred by run. It turns a panic into the member's error and
// reports it, reports an error to the sinks that want it, and the exit.
func (m *member) end() {
	if v := recover(); v != nil {
		stack := panicStack()
		p := &PanicError{Name: m.rec.Name, Group: m.g.name, Goroutine: &m.rec, Value: v, Stack: stack}
		m.panicked(v, stack)
		m.g.recordPanic(p)
		m.err = p
	} else if m.err != nil {
		spine.Fail(m.st, m.ctx, &m.rec, m.err)
	}
	m.exit()
	m.g.done(m.err, m.sem)
}
