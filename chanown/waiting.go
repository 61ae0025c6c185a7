package chanown

import (
	"time"
	"weak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/spine"
	"github.com/custody-go/custody/internal/waits"
)

// A waiter is an operation blocked on a Chan, as the oracle's reports
// describe it. It points to the channel weakly, so that a goroutine blocked
// forever on a channel nothing else references is still found by the
// goroutineleak profile.
type waiter[T any] struct {
	op    string
	site  custody.Site
	since time.Time
	ch    weak.Pointer[Chan[T]]
}

func (w *waiter[T]) Wait() (waits.Wait, bool) {
	c := w.ch.Value()
	if c == nil {
		return waits.Wait{}, false
	}
	return waits.Wait{
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

// wait records g as blocked in op on c until the returned function is
// called. skip counts the frames above wait to the operation's caller.
func wait[T any](g *custody.Goroutine, op string, c *Chan[T], skip int) (done func()) {
	return waits.Add(g, &waiter[T]{op: op, site: spine.Caller(skip), since: time.Now(), ch: weak.Make(c)})
}
