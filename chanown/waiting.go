package chanown

import (
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/custody-go/custody"
)

// A Wait describes an operation blocked on a [Chan], as [Waiting] returns it
// for a report such as
//
//	blocked in chanown.Send on "payment-results" (cap 1, len 1),
//	    owned by TestHandlePayment, made at payment/handler.go:28, never closed
type Wait struct {
	// Op is "send" or "recv".
	Op string
	// Site is where the blocked operation was called, Since when it started
	// to wait.
	Site  custody.Site
	Since time.Time
	// Chan, Cap, Len, Owner, Made and Closed describe the channel as it is
	// when Waiting is called.
	Chan   string
	Cap    int
	Len    int
	Owner  *custody.Goroutine
	Made   custody.Site
	Closed bool
}

// waiters maps the record of a goroutine blocked in Send or Recv to the
// *waitList of its blocked operations: one, unless several goroutines share
// the record. Entries exist only in verify mode, only while an operation is
// blocked, and point to their channel weakly, so that the registry keeps no
// channel alive and the goroutineleak profile still sees a goroutine
// blocked forever on a channel nothing else references.
var waiters sync.Map // *custody.Goroutine -> *waitList

type waitEntry interface {
	wait() (Wait, bool)
}

// A waitList holds the operations blocked with one record, oldest first.
type waitList struct {
	mu sync.Mutex
	ws []waitEntry
	// gone is set when the list, emptied, leaves waiters; a wait that
	// finds it set stores a new list.
	gone bool
}

// remove removes w from l, and l from waiters under g once it is empty.
func (l *waitList) remove(g *custody.Goroutine, w waitEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.ws, w); i >= 0 {
		l.ws = slices.Delete(l.ws, i, i+1)
	}
	if len(l.ws) == 0 {
		l.gone = true
		waiters.CompareAndDelete(g, l)
	}
}

// latest returns the latest of l's operations whose channel is still
// alive.
func (l *waitList) latest() (Wait, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range slices.Backward(l.ws) {
		if wt, ok := w.wait(); ok {
			return wt, true
		}
	}
	return Wait{}, false
}

type waiter[T any] struct {
	op    string
	site  custody.Site
	since time.Time
	ch    weak.Pointer[Chan[T]]
}

func (w *waiter[T]) wait() (Wait, bool) {
	c := w.ch.Value()
	if c == nil {
		return Wait{}, false
	}
	return Wait{
		Op:     w.op,
		Site:   w.site,
		Since:  w.since,
		Chan:   c.name,
		Cap:    cap(c.ch),
		Len:    len(c.ch),
		Owner:  c.owner.Load(),
		Made:   c.made,
		Closed: c.closed.Load() != nil,
	}, true
}

// wait registers g as blocked in op on c until the returned function is
// called. skip is passed to custody.Caller for the operation's site.
func wait[T any](g *custody.Goroutine, op string, c *Chan[T], skip int) (done func()) {
	w := &waiter[T]{op: op, site: custody.Caller(skip), since: time.Now(), ch: weak.Make(c)}
	for {
		v, ok := waiters.Load(g)
		if !ok {
			v, _ = waiters.LoadOrStore(g, &waitList{})
		}
		l := v.(*waitList)
		l.mu.Lock()
		if !l.gone {
			l.ws = append(l.ws, w)
			l.mu.Unlock()
			return func() { l.remove(g, w) }
		}
		l.mu.Unlock()
	}
}

// Waiting reports the Send or Recv that the goroutine with record g is
// blocked in, if any. It knows only operations that were called with a
// context carrying g while a sink in [custody.Verify] mode was installed:
// the oracle uses it to say what a leaked goroutine waits for. If several
// goroutines share one record (raw goroutines started inside an owned
// one), Waiting reports the latest to block of those still blocked.
func Waiting(g *custody.Goroutine) (Wait, bool) {
	v, ok := waiters.Load(g)
	if !ok {
		return Wait{}, false
	}
	return v.(*waitList).latest()
}
