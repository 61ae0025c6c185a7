//go:build !race

package chanown

import "runtime"

// guard is empty without the race detector: a send that meets a closed
// channel panics in the runtime, and leave recovers that one panic.
type guard struct {
	done chan struct{} // [owned by: Chan] [closed by: never] nil: a close releases blocked senders by closing ch
}

func (*guard) init() {}

// enter begins a send; it reports whether the channel is closed.
func (*guard) enter() bool { return false }

// leave ends a send, deferred by it: a panic for a send on c.ch closed by
// Close sets *closed instead of going on. Close sets c.closed before it
// closes c.ch, so any other panic, or one that finds c.closed nil, goes on.
func (c *Chan[T]) leave(closed *bool) {
	if r := recover(); r != nil {
		if !sendOnClosed(r) || c.closed.Load() == nil {
			panic(r)
		}
		*closed = true
	}
}

// closeCh closes c.ch once c.closed is set. Senders blocked on c.ch panic,
// and recover in leave.
func (c *Chan[T]) closeCh() { close(c.ch) }

// sendOnClosed reports whether r is the runtime's panic for a send on a
// closed channel.
func sendOnClosed(r any) bool {
	e, ok := r.(runtime.Error)
	return ok && e.Error() == "send on closed channel"
}
