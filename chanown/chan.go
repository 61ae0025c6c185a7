package chanown

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Chan is a channel of T with a name, an owner and a memory of who closed
// it. Its operations never panic on a closed channel: a send or close after
// close returns a [*CloseError] instead. Make one with [Make]; the zero Chan
// is not usable, and its operations panic saying so, as every method of a
// nil *Chan does.
//
// A Chan is safe for concurrent use by any number of senders, receivers and
// closers. Pass it by pointer; it must not be copied after first use.
//
// Use a raw channel where ownership is obvious and local (a result channel
// written once by the goroutine that makes it); use a Chan where several
// goroutines send, or where the one that closes is not the one that made it.
//
// Cost: a send and a receive through a buffered Chan take 1.1–1.5× as long
// as through a raw channel, and allocate nothing, with custody off or in
// observe mode; verify mode allocates for operations that block. The
// package documentation's Cost section gives the measurements.
type Chan[T any] struct {
	ch chan T
	// done is closed by the first Close, before ch, to release blocked
	// senders.
	done chan struct{}
	// mu is held in read mode by senders for as long as they may send on
	// ch, and in write mode by the first Close to close ch, so no send ever
	// meets a closed ch. Senders check closed under mu before sending.
	mu     sync.RWMutex
	closed atomic.Pointer[closeRecord] // the first close; set once

	owner atomic.Pointer[custody.Goroutine]
	name  string
	made  custody.Site
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

// Make returns a channel of T named name (used in events and errors) with
// room for capacity values; capacity 0 makes an unbuffered channel. The
// identity ctx carries ([custody.FromContext]) owns the channel; it may be
// nil, for an unowned channel. Make panics if ctx is nil or capacity is
// negative.
//
// With a sink installed Make records where it was called and reports
// [custody.ChanMade].
func Make[T any](ctx context.Context, name string, capacity int, opts ...Option) *Chan[T] {
	if ctx == nil {
		panic("chanown: nil context in Make of channel " + strconv.Quote(name))
	}
	if capacity < 0 {
		panic("chanown: negative capacity " + strconv.Itoa(capacity) + " in Make of channel " + strconv.Quote(name))
	}
	var cfg config
	for _, o := range opts {
		o.apply(&cfg)
	}
	c := &Chan[T]{
		ch:   make(chan T, capacity),
		done: make(chan struct{}),
		name: name,
	}
	owner := custody.FromContext(ctx)
	c.owner.Store(owner)
	mode := spine.Mode()
	if mode == core.Off {
		return c
	}
	c.made = spine.Caller(1 + cfg.skip)
	e := c.event(custody.ChanMade, c.made, owner)
	e.Owner = owner
	if mode == core.Verify {
		e.Stack = spine.Callers(1 + cfg.skip)
	}
	spine.Emit(ctx, &e)
	return c
}

// Send sends v on the channel, blocking until it is delivered, the channel
// is closed, or ctx is done. It returns nil once v is delivered; a
// [*CloseError] matching [ErrClosed] if the channel was closed first; or
// ctx's error if ctx was done first. A send that can complete at once does,
// even if ctx is already done. A send racing a close either delivers v or
// returns the close error; it never panics.
//
// A successful Send records nothing. A send after close is reported as
// [custody.ChanSendAfterClose].
func (c *Chan[T]) Send(ctx context.Context, v T) error {
	c.mustBeMade("Send")
	if ctx == nil {
		panic("chanown: nil context in Send on channel " + strconv.Quote(c.name))
	}
	c.mu.RLock()
	if c.closed.Load() != nil {
		c.mu.RUnlock()
		return c.afterClose(ctx, opSend, spine.Mode(), 1)
	}
	select {
	case c.ch <- v:
		c.mu.RUnlock()
		return nil
	default:
	}
	closed, err := c.sendWait(ctx, v)
	if closed {
		return c.afterClose(ctx, opSend, spine.Mode(), 1)
	}
	return err
}

// sendWait is the blocking half of Send. It is entered with c.mu held in
// read mode and releases it.
func (c *Chan[T]) sendWait(ctx context.Context, v T) (closed bool, err error) {
	defer c.mu.RUnlock()
	if spine.Mode() == core.Verify {
		if g := custody.FromContext(ctx); g != nil {
			defer wait(g, opSend, c, 3)()
		}
	}
	select {
	case c.ch <- v:
		return false, nil
	case <-c.done:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// TrySend sends v if that can be done without blocking, and reports
// whether it did. It returns a [*CloseError] matching [ErrClosed] if the
// channel is closed. TrySend has no context, so a send after close it
// reports carries no goroutine record; the oracle attributes it from the
// goroutine's labels.
func (c *Chan[T]) TrySend(v T) (bool, error) {
	c.mustBeMade("TrySend")
	c.mu.RLock()
	if c.closed.Load() != nil {
		c.mu.RUnlock()
		return false, c.afterClose(context.Background(), opSend, spine.Mode(), 1)
	}
	select {
	case c.ch <- v:
		c.mu.RUnlock()
		return true, nil
	default:
		c.mu.RUnlock()
		return false, nil
	}
}

// Recv receives a value, blocking until one is available, the channel is
// closed and drained, or ctx is done. ok is true for a value that was sent,
// false once the channel is closed and empty; err is ctx's error if ctx was
// done first. A value that is ready is received even if ctx is already done.
func (c *Chan[T]) Recv(ctx context.Context) (v T, ok bool, err error) {
	c.mustBeMade("Recv")
	if ctx == nil {
		panic("chanown: nil context in Recv on channel " + strconv.Quote(c.name))
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
			defer wait(g, opRecv, c, 3)()
		}
	}
	select {
	case v, ok = <-c.ch:
		return v, ok, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// C returns the channel to receive from, for range and select. It is
// closed by the first [Chan.Close]; receiving from it directly is as safe
// as [Chan.Recv].
func (c *Chan[T]) C() <-chan T {
	c.mustNotBeNil("C")
	return c.ch
}

// Close closes the channel: blocked and later senders get a [*CloseError],
// and receivers, once they have drained the values already sent, see
// ok == false. The first close wins; a later one returns a [*CloseError]
// that names the first closer, and is reported as
// [custody.ChanDoubleClose]. Close never blocks for long: it waits only for
// senders to step out of a send it has already released.
//
// The identity ctx carries is the closer. A close by a goroutine that is not
// the owner (of an owned channel) still closes, so receivers are released,
// and is reported as [custody.ChanCloseByNonOwner] after
// [custody.ChanClosed]. Ownership is exact: a goroutine started by the owner
// has its own record and is not the owner; hand the channel off to it with
// [Chan.Handoff] if it is the one to close. A raw goroutine that runs with
// the owner's context carries the owner's record and counts as the owner.
func (c *Chan[T]) Close(ctx context.Context) error {
	c.mustBeMade("Close")
	if ctx == nil {
		panic("chanown: nil context in Close of channel " + strconv.Quote(c.name))
	}
	mode := spine.Mode()
	rec := unrecorded
	if mode != core.Off {
		rec = &closeRecord{g: custody.FromContext(ctx), site: spine.Caller(1), time: time.Now()}
	}
	if !c.closed.CompareAndSwap(nil, rec) {
		return c.afterClose(ctx, opClose, mode, 1)
	}
	close(c.done)
	c.mu.Lock() // wait for released senders to leave
	close(c.ch)
	c.mu.Unlock()
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

// Handoff passes ownership of the channel from the identity ctx carries to
// the one to carries, typically a producer goroutine that will send on the
// channel and close it. It is reported as [custody.ChanHandoff] with the
// previous owner as Event.Owner, the new one as Event.NewOwner and the
// caller as Event.Goroutine.
//
// A handoff by a goroutine that is not the owner still takes effect: the
// intended new owner is then the one whose later close is legitimate, and
// the mistake is reported where it was made, as a ChanHandoff event whose
// Goroutine is not its Owner (the oracle makes that a finding). A handoff
// to a context with no identity leaves the channel unowned. Handoff panics
// if ctx or to is nil.
func (c *Chan[T]) Handoff(ctx, to context.Context) {
	c.mustBeMade("Handoff")
	if ctx == nil || to == nil {
		panic("chanown: nil context in Handoff of channel " + strconv.Quote(c.name))
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
	c.mustNotBeNil("Name")
	return c.name
}

// Owner returns the channel's current owner, or nil for an unowned channel.
func (c *Chan[T]) Owner() *custody.Goroutine {
	c.mustNotBeNil("Owner")
	return c.owner.Load()
}

// Len returns the number of values sent and not yet received, like len on a
// raw channel.
func (c *Chan[T]) Len() int {
	c.mustNotBeNil("Len")
	return len(c.ch)
}

// Cap returns the channel's capacity, like cap on a raw channel.
func (c *Chan[T]) Cap() int {
	c.mustNotBeNil("Cap")
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
// send on it would block forever and a close would panic in the runtime,
// saying nothing of chanown. It costs one comparison more than the load of
// c.ch that the operation makes anyway.
func (c *Chan[T]) mustBeMade(op string) {
	if c == nil || c.ch == nil {
		notMade(c == nil, op)
	}
}

// mustNotBeNil panics if c is nil, as the methods that a zero Chan answers
// do on a nil *Chan.
func (c *Chan[T]) mustNotBeNil(op string) {
	if c == nil {
		notMade(true, op)
	}
}

// notMade panics for op on a nil *Chan or a zero Chan.
func notMade(isNil bool, op string) {
	if isNil {
		panic("chanown: " + op + " on a nil *Chan; make channels with Make")
	}
	panic("chanown: " + op + " on a zero Chan; make channels with Make")
}
