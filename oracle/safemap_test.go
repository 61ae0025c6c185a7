package oracle

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody/safemap"
)

type order struct {
	ID     string
	Amount int
}

func TestMapFindings(t *testing.T) {
	fake := newFake("TestCache")
	Check(fake, Settle(10*time.Millisecond))
	var cache safemap.Map[string, *order]
	o, _ := cache.LoadOrStore("order-1", &order{ID: "order-1", Amount: 100})
	o.Amount = 200 // mutated in place after the store: the bug

	var counts safemap.Map[string, int]
	counts.Store("misses", 0)
	_, _ = counts.Load("misses") // ok == true, and a zero

	var replaced safemap.Map[string, *order]
	replaced.Store("order-2", &order{ID: "order-2"})
	replaced.Update("order-2", func(old *order, _ bool) (*order, bool) {
		c := *old
		c.Amount = 300
		return &c, true // a new value: no finding
	})
	fake.finish()
	runtime.KeepAlive(&cache) // a map already collected is not checked

	v := fake.verdict()
	assert.Contains(t, v, "oracle: TestCache: 2 findings")
	assert.Contains(t, v, `value under key "order-1" mutated in place after it was stored`)
	assert.Contains(t, v, `stored at oracle/safemap_test.go:22`)
	assert.Contains(t, v, `zero value loaded with ok == true, key "misses"`)
	assert.Contains(t, v, `the zero value was stored at oracle/safemap_test.go:26`)
	assert.NotContains(t, v, "order-2")
}

// TestParallelMutationGoesToTheStorer: a test running beside others
// (t.Parallel: each on a goroutine of its own) that stores a value in a
// shared map, changes it in place and never touches the key again gets the
// finding at its own verdict; its neighbour, which touches the map's other
// keys, gets none. A change that the neighbour's load finds while the
// storer runs is the storer's too.
func TestParallelMutationGoesToTheStorer(t *testing.T) {
	var shared safemap.Map[string, *order]
	storer, neighbour := newFake("TestStorer"), newFake("TestNeighbour")
	stored, checked, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		Check(neighbour, Settle(10*time.Millisecond))
		<-stored
		o, _ := shared.Load("watched") // finds the storer's change to it
		_ = o
		shared.Store("mine", &order{ID: "mine"})
		close(checked)
		<-stored
		neighbour.finish()
	}()
	Check(storer, Settle(10*time.Millisecond))
	o := &order{ID: "silent"}
	shared.Store("silent", o)
	o.Amount = 1 // never touched again: found at the storer's verdict
	w := &order{ID: "watched"}
	shared.Store("watched", w)
	w.Amount = 2 // the neighbour's load finds it
	stored <- struct{}{}
	<-checked
	storer.finish()
	close(stored)
	<-done
	runtime.KeepAlive(&shared)

	v := storer.verdict()
	assert.Contains(t, v, "oracle: TestStorer: 2 findings")
	assert.Contains(t, v, `value under key "silent" mutated in place after it was stored`)
	assert.Contains(t, v, `value under key "watched" mutated in place after it was stored`)
	assert.Contains(t, v, `by "TestStorer"`)
	assert.Contains(t, v, "change found when the test ended")
	assert.Contains(t, v, `change noticed at oracle/safemap_test.go:`)
	assert.Empty(t, neighbour.verdict())
}

// TestSetsAndCountersAreNotZeroLoads: a set (a map of struct{}) and a
// counter made with AllowZero hold zeros legitimately: no finding.
func TestSetsAndCountersAreNotZeroLoads(t *testing.T) {
	fake := newFake("TestSetAndCounter")
	Check(fake, Settle(10*time.Millisecond))
	var seen safemap.Map[string, struct{}]
	seen.Store("order-1", struct{}{})
	_, ok := seen.Load("order-1")
	assert.True(t, ok)
	var misses safemap.Map[string, int]
	misses.AllowZero()
	misses.Store("eu", 0)
	n, ok := misses.Load("eu")
	assert.True(t, ok)
	assert.Zero(t, n)
	fake.finish()
	assert.Empty(t, fake.verdict())

	// The same counter without AllowZero is a finding: the test can fail.
	fake = newFake("TestCounterWithoutAllowZero")
	Check(fake, Settle(10*time.Millisecond))
	var plain safemap.Map[string, int]
	plain.Store("eu", 0)
	_, _ = plain.Load("eu")
	fake.finish()
	assert.Contains(t, fake.verdict(), `zero value loaded with ok == true, key "eu"`)
}
