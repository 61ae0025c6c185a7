package chanown

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/waits"
)

// A Chan is a channel of T with a name, an owner and a memory of who closed
// it, safe for concurrent use; it must not be copied after first use. Make
// one with [Make]: every method of a zero Chan or a nil *Chan panics. Where
// ownership is obvious and local, a raw channel does as well.
type Chan[T any] struct {
	// [buffered: capacity] [owned by: Chan] [closed by: Chan.closeCh]
	ch     chan T
	closed atomic.Pointer[closeRecord] // the first close; set once, before ch is closed
	guard                              // keeps senders off a closed ch: see send.go and send_race.go
	owner  atomic.Pointer[custody.Goroutine]
	name   string
	made   custody.Site
	ref    atomic.Pointer[chanRef[T]] // made at the first recorded wait or C in verify mode
}

// A closeRecord is what a Chan remembers of its first close.
type closeRecord struct {
	g    *custody.Goroutine
	site custody.Site
	time time.Time // zero: custody was off and nothing was recorded
}

// unrecorded is the record of a close made while custody was off.
var unrecorded = &closeRecord{}

const (
	opSend  = "send"
	opClose = "close"
	opRecv  = "recv"
)

// Make returns a channel of T named name, with room for capacity values
// (0: unbuffered), owned by the identity ctx carries (none: unowned), and
// reports [custody.ChanMade]. It panics if ctx is nil, if capacity is
// negative, or if the buffer cannot be allocated: more than the runtime
// allows, or on Linux more than the machine's memory and swap.
func Make[T any](ctx context.Context, name string, capacity int) *Chan[T] {
	if ctx == nil {
		panic("chanown: Make called with a nil context for channel " + strconv.Quote(name))
	}
	c := &Chan[T]{ch: makeChan[T](name, capacity), name: name}
	c.guard.init()
	owner := custody.FromContext(ctx)
	c.owner.Store(owner)
	mode := spine.Mode()
	if mode == core.Off {
		return c
	}
	c.made = spine.Caller(1)
	e := c.event(custody.ChanMade, c.made, owner)
	e.Owner = owner
	if mode == core.Verify {
		e.Stack = spine.Callers(1)
	}
	spine.Emit(ctx, &e)
	return c
}

// Send sends v, blocking until it is delivered (nil), the channel is closed
// (a [*CloseError], reported as [custody.ChanSendAfterClose]), or ctx is
// done (ctx's error). A send that can complete at once does, even if ctx is
// done. Send panics if ctx is nil.
func (c *Chan[T]) Send(ctx context.Context, v T) error {
	c.mustBeMade("Send")
	if ctx == nil {
		panic("chanown: Send called with a nil context on channel " + strconv.Quote(c.name))
	}
	if c.closed.Load() == nil {
		_, closed, err := c.send(ctx, v, true)
		if !closed {
			return err
		}
	}
	return c.afterClose(ctx, opSend, spine.Mode(), 1)
}

// send sends v on c.ch: at once, or if block, waiting until ctx is done.
// It reports closed, and never panics, if c.ch is or gets closed first.
func (c *Chan[T]) send(ctx context.Context, v T, block bool) (sent, closed bool, err error) {
	closedNow := c.enter()
	defer c.leave(&closed)
	if closedNow {
		return false, true, nil
	}
	select {
	case c.ch <- v:
		return true, false, nil
	default:
	}
	if !block {
		return false, false, nil
	}
	closed, err = c.sendWait(ctx, v)
	return err == nil && !closed, closed, err
}

// sendWait is the blocking half of a send: it records the wait in verify
// mode.
func (c *Chan[T]) sendWait(ctx context.Context, v T) (closed bool, err error) {
	if spine.Mode() == core.Verify {
		if g := custody.FromContext(ctx); g != nil {
			defer c.wait(g, opSend).Remove()
		}
	}
	return c.blockSend(ctx, v)
}

// blockSend waits to send v until ctx is done. A close releases it through
// c.done under the race detector, and else by making the send panic, which
// leave recovers.
func (c *Chan[T]) blockSend(ctx context.Context, v T) (closed bool, err error) {
	select {
	case c.ch <- v:
		return false, nil
	case <-c.done:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// TrySend sends v if it can without blocking, and reports whether it did.
// It returns a [*CloseError] if the channel is closed.
func (c *Chan[T]) TrySend(v T) (bool, error) {
	c.mustBeMade("TrySend")
	if c.closed.Load() == nil {
		sent, closed, _ := c.send(nil, v, false)
		if !closed {
			return sent, nil
		}
	}
	return false, c.afterClose(context.Background(), opSend, spine.Mode(), 1)
}

// Recv receives a value, blocking until one is available, the channel is
// closed and drained (ok false), or ctx is done (ctx's error). A value that
// is ready is received even if ctx is done. Recv panics if ctx is nil.
func (c *Chan[T]) Recv(ctx context.Context) (v T, ok bool, err error) {
	c.mustBeMade("Recv")
	if ctx == nil {
		panic("chanown: Recv called with a nil context on channel " + strconv.Quote(c.name))
	}
	select {
	case v, ok = <-c.ch:
		return v, ok, nil
	default:
	}
	return c.recvWait(ctx)
}

// recvWait is the blocking half of Recv.
func (c *Chan[T]) recvWait(ctx context.Context) (v T, ok bool, err error) {
	if spine.Mode() == core.Verify {
		if g := custody.FromContext(ctx); g != nil {
			defer c.wait(g, opRecv).Remove()
		}
	}
	select {
	case v, ok = <-c.ch:
		return v, ok, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// C returns the channel to receive from, for range and select; the first
// [Chan.Close] closes it.
func (c *Chan[T]) C() <-chan T {
	c.mustBeMade("C")
	if spine.Mode() == core.Verify {
		waits.Took(c.waitRef(), spine.Caller(1)) // for the oracle's report of a receive blocked on it
	}
	return c.ch
}

// Close closes the channel without waiting: senders get a [*CloseError],
// receivers drain what was sent. A close by an identity other than the
// owner still closes, and is reported; a second close returns a
// [*CloseError] naming the first closer. Close panics if ctx is nil.
func (c *Chan[T]) Close(ctx context.Context) error {
	c.mustBeMade("Close")
	if ctx == nil {
		panic("chanown: Close called with a nil context on channel " + strconv.Quote(c.name))
	}
	mode := spine.Mode()
	rec := unrecorded
	if mode != core.Off {
		rec = &closeRecord{g: custody.FromContext(ctx), site: spine.Caller(1), time: time.Now()}
	}
	if !c.closed.CompareAndSwap(nil, rec) {
		return c.afterClose(ctx, opClose, mode, 1)
	}
	c.closeCh()
	if mode == core.Off {
		return nil
	}
	owner := c.owner.Load()
	e := c.event(custody.ChanClosed, rec.site, rec.g)
	e.Time = rec.time
	e.Owner = owner
	if mode == core.Verify {
		e.Stack = spine.Callers(1)
	}
	spine.Emit(ctx, &e)
	if owner != nil && rec.g != owner {
		e.Kind = custody.ChanCloseByNonOwner
		spine.Emit(ctx, &e)
	}
	return nil
}

// afterClose builds the error of a send or close that found the channel
// closed, and reports it. skip is the number of frames between afterClose's
// caller and the user's call.
func (c *Chan[T]) afterClose(ctx context.Context, op string, mode core.Mode, skip int) error {
	first := c.closed.Load()
	err := &CloseError{
		Chan:      c.name,
		Op:        op,
		Closer:    first.g,
		CloseSite: first.site,
		ClosedAt:  first.time,
	}
	if mode == core.Off {
		return err
	}
	err.Site = spine.Caller(skip + 1)
	err.Time = time.Now()
	kind := custody.ChanSendAfterClose
	if op == opClose {
		kind = custody.ChanDoubleClose
	}
	e := c.event(kind, err.Site, custody.FromContext(ctx))
	e.Time = err.Time
	e.Owner = c.owner.Load()
	e.Earlier = &custody.Event{Kind: custody.ChanClosed, Time: first.time, Goroutine: first.g, Site: first.site, Made: c.made}
	if mode == core.Verify {
		e.Stack = spine.Callers(skip + 1)
	}
	spine.Emit(ctx, &e)
	return err
}

// Handoff passes ownership from the identity ctx carries to the one to
// carries (none: unowned). A handoff by a non-owner still takes effect,
// and is reported. Handoff panics if ctx or to is nil.
func (c *Chan[T]) Handoff(ctx, to context.Context) {
	c.mustBeMade("Handoff")
	if ctx == nil {
		panic("chanown: Handoff called with a nil context on channel " + strconv.Quote(c.name))
	}
	if to == nil {
		panic("chanown: Handoff called with a nil new owner's context on channel " + strconv.Quote(c.name))
	}
	next := custody.FromContext(to)
	prev := c.owner.Swap(next)
	mode := spine.Mode()
	if mode == core.Off {
		return
	}
	e := c.event(custody.ChanHandoff, spine.Caller(1), custody.FromContext(ctx))
	e.Owner = prev
	e.NewOwner = next
	if mode == core.Verify {
		e.Stack = spine.Callers(1)
	}
	spine.Emit(ctx, &e)
}

// Name returns the channel's name, as given to [Make].
func (c *Chan[T]) Name() string {
	c.mustBeMade("Name")
	return c.name
}

// Owner returns the channel's current owner, or nil for an unowned channel.
func (c *Chan[T]) Owner() *custody.Goroutine {
	c.mustBeMade("Owner")
	return c.owner.Load()
}

// Len returns the number of values sent and not yet received.
func (c *Chan[T]) Len() int {
	c.mustBeMade("Len")
	return len(c.ch)
}

// Cap returns the channel's capacity.
func (c *Chan[T]) Cap() int {
	c.mustBeMade("Cap")
	return cap(c.ch)
}

// event returns an event of kind k about c, done at site by g.
func (c *Chan[T]) event(k custody.Kind, site custody.Site, g *custody.Goroutine) custody.Event {
	return custody.Event{
		Kind:      k,
		Site:      site,
		Goroutine: g,
		Object:    c.name,
		Made:      c.made,
	}
}

// mustBeMade panics if c is nil or a zero Chan, which has no channel: a
// receive from it would block forever and a close would panic in the
// runtime, saying nothing of chanown.
func (c *Chan[T]) mustBeMade(op string) {
	if c == nil || c.ch == nil {
		notMade(c == nil, op)
	}
}

// notMade panics for op on a nil *Chan or a zero Chan.
func notMade(isNil bool, op string) {
	if isNil {
		panic("chanown: " + op + " called on a nil *Chan; make channels with Make")
	}
	panic("chanown: " + op + " called on a zero Chan; make channels with Make")
}
