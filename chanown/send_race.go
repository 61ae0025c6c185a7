//go:build race

package chanown

import "sync"

// guard keeps senders off a closed channel under the race detector, which
// reports a send and a close that nothing orders as a data race even when
// the send's panic is recovered: senders hold mu in read mode while they
// may send, and the first Close closes done, to release them, then takes
// mu to close ch.
type guard struct {
	mu   sync.RWMutex
	done chan struct{} // [owned by: Chan] [closed by: Chan.closeCh]
}

func (g *guard) init() { g.done = make(chan struct{}) }

// enter begins a send, taking mu in read mode; it reports whether the
// channel is closed.
func (c *Chan[T]) enter() bool {
	c.mu.RLock()
	return c.closed.Load() != nil
}

// leave ends a send, deferred by it.
func (c *Chan[T]) leave(*bool) { c.mu.RUnlock() }

// closeCh releases the blocked senders, waits for them to leave, and closes
// c.ch.
func (c *Chan[T]) closeCh() {
	close(c.done)
	c.mu.Lock()
	close(c.ch)
	c.mu.Unlock()
}
