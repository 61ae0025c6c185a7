package waits

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
)

// fakeChan describes a channel by name, or is gone.
type fakeChan struct {
	name string
	gone bool
}

func (c *fakeChan) Describe(w *Wait) bool {
	w.Chan = c.name
	return !c.gone
}

func TestAddOfRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &custody.Goroutine{ID: 7, Name: "worker"}
		_, ok := Of(g)
		assert.False(t, ok)

		a, b := &fakeChan{name: "a"}, &fakeChan{name: "b"}
		ha := Add(g, "recv", a)
		time.Sleep(time.Second)
		hb := Add(g, "send", b) // a second goroutine sharing the record
		time.Sleep(time.Second)

		w, ok := Of(g)
		require.True(t, ok)
		assert.Equal(t, Wait{Op: "send", Since: time.Now().Add(-time.Second), Chan: "b"}, w, "the latest to block")

		b.gone = true
		w, ok = Of(g)
		require.True(t, ok)
		assert.Equal(t, "a", w.Chan, "a wait whose channel is gone is skipped")
		assert.Equal(t, 2*time.Second, time.Since(w.Since))

		ha.Remove()
		ha.Remove() // again: nothing
		_, ok = Of(g)
		assert.False(t, ok, "b's channel is gone, a's wait ended")
		hb.Remove()
		s := shardOf(g)
		s.mu.Lock()
		defer s.mu.Unlock()
		assert.NotContains(t, s.waits, g, "a record leaves the table with its last wait")
	})
}

// A wait allocates nothing once its shard has seen one: the benchmarks of
// chanown's verify mode block on every other operation.
func TestAddRemoveAllocatesNothing(t *testing.T) {
	g := &custody.Goroutine{ID: 11}
	c := &fakeChan{name: "c"}
	Add(g, "send", c).Remove() // the shard's map and a slice to reuse
	allocs := testing.AllocsPerRun(100, func() {
		h1 := Add(g, "send", c)
		h2 := Add(g, "recv", c)
		h1.Remove()
		h2.Remove()
	})
	assert.Zero(t, allocs)
}
