package waits

import (
	"context"
	"runtime/pprof"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
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

func TestTookTakenForget(t *testing.T) {
	a, b := &fakeChan{name: "a"}, &fakeChan{name: "b"}
	Took(a, 1) // no custody.id label: nothing recorded
	assert.Empty(t, takers.by[0])

	pprof.Do(context.Background(), pprof.Labels(core.LabelID, "77", core.LabelName, "reader"), func(context.Context) {
		Took(a, 1)
		Took(b, 2)
		Took(a, 1) // again: moves to the front
	})
	pprof.Do(context.Background(), pprof.Labels(core.LabelID, "78"), func(context.Context) {
		for i := range 2 * maxTaken {
			Took(&fakeChan{name: strconv.Itoa(i)}, custody.Site(i))
		}
	})
	got := Taken(77)
	require.Len(t, got, 2)
	assert.Equal(t, "a", got[0].Chan, "the most recent first")
	assert.Equal(t, custody.Site(1), got[0].Site)
	assert.Equal(t, "b", got[1].Chan)
	assert.Len(t, Taken(78), maxTaken, "bounded per identity")
	assert.Equal(t, strconv.Itoa(2*maxTaken-1), Taken(78)[0].Chan)

	b.gone, b.name = true, "renamed"
	got = Taken(77)
	require.Len(t, got, 2, "a channel that is gone is returned as it was when taken")
	assert.Equal(t, "b", got[1].Chan)

	Forget(func(id uint64) bool { return id == 77 })
	assert.Empty(t, Taken(77))
	assert.NotEmpty(t, Taken(78))
	Forget(func(id uint64) bool { return id == 78 })
	assert.Empty(t, Taken(78))
}

func TestForgetRemakesTheMap(t *testing.T) {
	c := &fakeChan{name: "c"}
	for i := range 5000 {
		pprof.Do(context.Background(), pprof.Labels(core.LabelID, strconv.Itoa(1000+i)), func(context.Context) { Took(c, 0) })
	}
	takers.mu.Lock()
	peak := takers.peak
	takers.mu.Unlock()
	assert.GreaterOrEqual(t, peak, 5000)
	Forget(func(id uint64) bool { return id >= 1000 && id < 6000 })
	takers.mu.Lock()
	defer takers.mu.Unlock()
	assert.Less(t, takers.peak, 1024, "the emptied map is made anew")
}

func TestEmptiedShardMapIsDropped(t *testing.T) {
	c := &fakeChan{name: "c"}
	var hs []Handle
	for i := range shards * (maxKept + 1) {
		hs = append(hs, Add(&custody.Goroutine{ID: uint64(i)}, "recv", c))
	}
	for _, h := range hs {
		h.Remove()
	}
	for i := range table {
		s := &table[i]
		s.mu.Lock()
		assert.Nil(t, s.waits, "shard %d", i)
		s.mu.Unlock()
	}
}
