package chanown

import (
	"weak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/waits"
)

// A chanRef points to a Chan weakly, for internal/waits: a goroutine
// blocked forever on a channel nothing else references is still found by
// the goroutineleak profile. A Chan makes its chanRef once, at its first
// recorded wait.
type chanRef[T any] struct{ c weak.Pointer[Chan[T]] }

func (r *chanRef[T]) Describe(w *waits.Wait) bool {
	c := r.c.Value()
	if c == nil {
		return false
	}
	w.Chan, w.Cap, w.Len = c.name, cap(c.ch), len(c.ch)
	w.Owner, w.Made, w.Closed = c.owner.Load(), c.made, c.closed.Load() != nil
	return true
}

// wait records g as blocked in op on c until Remove is called on the
// result.
func (c *Chan[T]) wait(g *custody.Goroutine, op string) waits.Handle {
	return waits.Add(g, op, c.waitRef())
}

// waitRef returns c's chanRef, made at its first use.
func (c *Chan[T]) waitRef() *chanRef[T] {
	r := c.ref.Load()
	if r == nil {
		r = &chanRef[T]{c: weak.Make(c)}
		if !c.ref.CompareAndSwap(nil, r) {
			r = c.ref.Load()
		}
	}
	return r
}
