// Package waits records the chanown operations that owned goroutines are
// blocked in, so that the oracle can say what a leaked goroutine waits for.
package waits

import (
	"slices"
	"sync"
	"time"

	"github.com/custody-go/custody"
)

// A Wait describes an operation blocked on a channel, for a report such as
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
	// when Of is called.
	Chan   string
	Cap    int
	Len    int
	Owner  *custody.Goroutine
	Made   custody.Site
	Closed bool
}

// An Entry is one blocked operation. Wait describes it, or reports false
// once its channel is gone.
type Entry interface {
	Wait() (Wait, bool)
}

// waiters maps the record of a goroutine blocked in an operation to the
// *list of its blocked operations: one, unless several goroutines share the
// record. Entries exist only while an operation is blocked, and should
// point to their channel weakly, so that the goroutineleak profile still
// sees a goroutine blocked forever on a channel nothing else references.
var waiters sync.Map // *custody.Goroutine -> *list

// A list holds the operations blocked with one record, oldest first.
type list struct {
	mu sync.Mutex
	ws []Entry
	// gone is set when the list, emptied, leaves waiters; an Add that finds
	// it set stores a new list.
	gone bool
}

// Add records w as blocked with the record g until the returned function is
// called.
func Add(g *custody.Goroutine, w Entry) (done func()) {
	for {
		v, ok := waiters.Load(g)
		if !ok {
			v, _ = waiters.LoadOrStore(g, &list{})
		}
		l := v.(*list)
		l.mu.Lock()
		if !l.gone {
			l.ws = append(l.ws, w)
			l.mu.Unlock()
			return func() { l.remove(g, w) }
		}
		l.mu.Unlock()
	}
}

// remove removes w from l, and l from waiters under g once it is empty.
func (l *list) remove(g *custody.Goroutine, w Entry) {
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

// Of reports the operation that the goroutine with record g is blocked in,
// if any: the latest to block, of those still blocked, when several
// goroutines share the record.
func Of(g *custody.Goroutine) (Wait, bool) {
	v, ok := waiters.Load(g)
	if !ok {
		return Wait{}, false
	}
	l := v.(*list)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range slices.Backward(l.ws) {
		if wt, ok := w.Wait(); ok {
			return wt, true
		}
	}
	return Wait{}, false
}
