package safemap_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/safemap"
)

// modeSink drops every event; sinktest.Set installs it in its mode.
type modeSink struct{ mode core.Mode }

func (modeSink) Emit(context.Context, custody.Event) {}
func (s modeSink) Mode() core.Mode                   { return s.mode }

// modeSinks are the sinks of each mode, nil for off.
var modeSinks = []struct {
	name string
	sink custody.Sink
}{
	{"off", nil},
	{"observe", modeSink{core.Observe}},
	{"verify", modeSink{core.Verify}},
}

// allModes runs f once per mode, with a sink of that mode installed (none
// for off). Tests that use it install sinks and so must not run in parallel.
func allModes(t *testing.T, f func(t *testing.T)) {
	for _, mode := range modeSinks {
		t.Run(mode.name, func(t *testing.T) {
			t.Cleanup(sinktest.Set(mode.sink))
			f(t)
		})
	}
}

func TestZeroMapIsReady(t *testing.T) {
	allModes(t, func(t *testing.T) {
		var m safemap.Map[string, int]
		v, ok := m.Load("a")
		assert.False(t, ok)
		assert.Zero(t, v)
		assert.Zero(t, m.Len())
		m.Range(func(string, int) bool { t.Error("Range of an empty map called f"); return true })
		m.Delete("a")
		m.Clear()
		_, loaded := m.LoadAndDelete("a")
		assert.False(t, loaded)
		assert.False(t, m.CompareAndSwap("a", 0, 1))
		assert.False(t, m.CompareAndDelete("a", 0))
	})
}

func TestMethods(t *testing.T) {
	allModes(t, func(t *testing.T) {
		var m safemap.Map[string, int]
		m.Store("a", 1)
		v, ok := m.Load("a")
		require.True(t, ok)
		assert.Equal(t, 1, v)

		actual, loaded := m.LoadOrStore("a", 2)
		assert.Equal(t, 1, actual)
		assert.True(t, loaded)
		actual, loaded = m.LoadOrStore("b", 2)
		assert.Equal(t, 2, actual)
		assert.False(t, loaded)

		prev, loaded := m.Swap("a", 10)
		assert.Equal(t, 1, prev)
		assert.True(t, loaded)
		prev, loaded = m.Swap("c", 3)
		assert.Zero(t, prev)
		assert.False(t, loaded)

		assert.False(t, m.CompareAndSwap("a", 1, 11), "CompareAndSwap with a stale old value")
		assert.True(t, m.CompareAndSwap("a", 10, 11))
		v, _ = m.Load("a")
		assert.Equal(t, 11, v)

		assert.False(t, m.CompareAndDelete("b", 3))
		assert.True(t, m.CompareAndDelete("b", 2))
		_, ok = m.Load("b")
		assert.False(t, ok)

		got := map[string]int{}
		m.Range(func(k string, v int) bool { got[k] = v; return true })
		assert.Equal(t, map[string]int{"a": 11, "c": 3}, got)
		assert.Equal(t, 2, m.Len())

		v, loaded = m.LoadAndDelete("c")
		assert.Equal(t, 3, v)
		assert.True(t, loaded)
		m.Delete("a")
		assert.Zero(t, m.Len())

		m.Store("x", 1)
		m.Store("y", 2)
		m.Clear()
		assert.Zero(t, m.Len())
	})
}

func TestRangeStops(t *testing.T) {
	var m safemap.Map[int, int]
	for i := range 10 {
		m.Store(i, i)
	}
	calls := 0
	m.Range(func(int, int) bool { calls++; return calls < 3 })
	assert.Equal(t, 3, calls)
}

// A nil interface, stored as a value or used as a key, never panics.
func TestNilInterfaces(t *testing.T) {
	allModes(t, func(t *testing.T) {
		var m safemap.Map[any, any]
		m.Store(nil, nil)
		m.Store("k", nil)
		v, ok := m.Load(nil)
		assert.True(t, ok)
		assert.Nil(t, v)
		v, ok = m.Load("k")
		assert.True(t, ok)
		assert.Nil(t, v)
		n := 0
		m.Range(func(k, v any) bool {
			n++
			assert.Nil(t, v)
			return true
		})
		assert.Equal(t, 2, n)
		assert.True(t, m.CompareAndSwap(nil, nil, 1))
		assert.True(t, m.CompareAndDelete("k", nil))
		v, loaded := m.Swap(nil, nil)
		assert.Equal(t, 1, v)
		assert.True(t, loaded)
		v, loaded = m.LoadAndDelete(nil)
		assert.Nil(t, v)
		assert.True(t, loaded)

		var e safemap.Map[string, error]
		e.Store("err", nil)
		err, ok := e.Load("err")
		assert.True(t, ok)
		assert.NoError(t, err)
	})
}

// TestBadInputPanics walks every bad input safemap panics on and the
// message it panics with: each starts with "safemap: " and names the call
// and what was wrong with it. A key that cannot be hashed is the runtime's
// panic, as with sync.Map: checking every key would cost every operation.
func TestBadInputPanics(t *testing.T) {
	var slices safemap.Map[string, []int]
	slices.Store("a", []int{1})
	var anys safemap.Map[string, any]
	anys.Store("a", 1)
	type holder struct{ X any }
	var holders safemap.Map[string, holder]
	var m safemap.Map[string, int]

	for _, tt := range []struct {
		name string
		fn   func()
		want string
	}{
		{"CompareAndSwap of a non-comparable type", func() { slices.CompareAndSwap("a", nil, []int{2}) },
			"safemap: CompareAndSwap called on a map of []int values, which are not comparable"},
		{"CompareAndDelete of a non-comparable type, absent key", func() { slices.CompareAndDelete("absent", nil) },
			"safemap: CompareAndDelete called on a map of []int values, which are not comparable"},
		{"CompareAndSwap with a non-comparable old", func() { anys.CompareAndSwap("a", []int{1}, 2) },
			"safemap: CompareAndSwap called with an old value that is not comparable ([]int)"},
		{"CompareAndDelete with a non-comparable old, absent key", func() { anys.CompareAndDelete("absent", map[string]int{}) },
			"safemap: CompareAndDelete called with an old value that is not comparable (map[string]int)"},
		{"CompareAndSwap with a struct holding a non-comparable", func() { holders.CompareAndSwap("a", holder{X: []int{}}, holder{}) },
			"safemap: CompareAndSwap called with an old value that is not comparable (safemap_test.holder)"},
		{"Update with nil", func() { m.Update("a", nil) }, "safemap: Update called with a nil function"},
		{"Range with nil", func() { m.Range(nil) }, "safemap: Range called with a nil function"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, tt.fn)
		})
	}

	// A comparable old value compares as false against a non-comparable
	// stored one instead of panicking, as == does.
	anys.Store("s", []int{1})
	assert.False(t, anys.CompareAndSwap("s", 1, 2))

	var keys safemap.Map[any, int]
	assert.PanicsWithError(t, "runtime error: hash of unhashable type []int", func() { keys.Store([]int{1}, 1) })
}

func TestUpdate(t *testing.T) {
	allModes(t, func(t *testing.T) {
		var m safemap.Map[string, []string]
		add := func(s string) func([]string, bool) ([]string, bool) {
			return func(old []string, _ bool) ([]string, bool) {
				return append(slices.Clip(old), s), true
			}
		}
		v, kept := m.Update("k", add("a"))
		assert.Equal(t, []string{"a"}, v)
		assert.True(t, kept)
		v, kept = m.Update("k", add("b"))
		assert.Equal(t, []string{"a", "b"}, v)
		assert.True(t, kept)
		got, _ := m.Load("k")
		assert.Equal(t, []string{"a", "b"}, got)

		// fn sees whether the key was present.
		_, _ = m.Update("k", func(old []string, loaded bool) ([]string, bool) {
			assert.True(t, loaded)
			assert.Equal(t, []string{"a", "b"}, old)
			return old, true
		})
		_, _ = m.Update("absent", func(old []string, loaded bool) ([]string, bool) {
			assert.False(t, loaded)
			assert.Nil(t, old)
			return nil, false
		})
		_, ok := m.Load("absent")
		assert.False(t, ok, "Update with keep == false stored a value")

		// keep == false deletes.
		v, kept = m.Update("k", func([]string, bool) ([]string, bool) { return []string{"ignored"}, false })
		assert.Nil(t, v)
		assert.False(t, kept)
		_, ok = m.Load("k")
		assert.False(t, ok)
	})
}

// Under contention every Update is applied exactly once, even for a value
// type == cannot compare, and fn runs again only when another write won.
func TestUpdateContention(t *testing.T) {
	allModes(t, func(t *testing.T) {
		const workers, each = 8, 200
		var counts safemap.Map[string, int]
		var lists safemap.Map[string, []int]
		var calls atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					counts.Update("n", func(old int, _ bool) (int, bool) {
						calls.Add(1)
						return old + 1, true
					})
					lists.Update("l", func(old []int, _ bool) ([]int, bool) {
						return append(slices.Clip(old), w*each+i), true
					})
					runtime.Gosched()
				}
			})
		}
		wg.Wait()
		n, _ := counts.Load("n")
		assert.Equal(t, workers*each, n)
		assert.GreaterOrEqual(t, calls.Load(), int64(workers*each))
		l, _ := lists.Load("l")
		l = slices.Sorted(slices.Values(l)) // a copy: sorting l in place would change the stored value
		want := make([]int, workers*each)
		for i := range want {
			want[i] = i
		}
		assert.Equal(t, want, l)
	})
}

func TestLenQuiescent(t *testing.T) {
	var m safemap.Map[int, int]
	for i := range 100 {
		m.Store(i, i)
	}
	assert.Equal(t, 100, m.Len())
	for i := range 40 {
		m.Delete(i)
	}
	assert.Equal(t, 60, m.Len())
}

// Len under concurrent writers counts every key present throughout the call
// and no key absent throughout it.
func TestLenConcurrent(t *testing.T) {
	allModes(t, func(t *testing.T) {
		const stable, churn = 300, 200
		t.Run("churn", func(t *testing.T) {
			var m safemap.Map[int, int]
			for i := range stable {
				m.Store(i, i) // never touched again
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 2 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 1))
					for {
						select {
						case <-stop:
							return
						default:
						}
						k := stable + r.IntN(churn)
						if r.IntN(2) == 0 {
							m.Store(k, k)
						} else {
							m.Delete(k)
						}
					}
				})
			}
			for range 200 {
				n := m.Len()
				if n < stable || n > stable+churn {
					t.Errorf("Len() = %d, want within [%d, %d]", n, stable, stable+churn)
				}
			}
			close(stop)
			wg.Wait()
		})
		t.Run("one key at a time", func(t *testing.T) {
			// The writer deletes each key before it stores the next, so
			// at most one key is present at any time; Len may still count
			// two, one deleted and one stored during the call, but never
			// more keys than were present at some time during it.
			var m safemap.Map[int, int]
			var started, deleted atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for k := 0; ; k++ {
					select {
					case <-stop:
						return
					default:
					}
					started.Store(int64(k + 1))
					m.Store(k, k)
					m.Delete(k)
					deleted.Store(int64(k + 1))
				}
			})
			for range 20000 {
				gone := deleted.Load() // keys below are absent throughout the call
				n := m.Len()
				seen := started.Load() // keys from here on are absent throughout it
				if int64(n) > seen-gone {
					t.Fatalf("Len() = %d, want at most %d, the keys present at some time during the call", n, seen-gone)
				}
			}
			close(stop)
			wg.Wait()
		})
		t.Run("growing", func(t *testing.T) {
			var m safemap.Map[int, int]
			var stored atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range 20000 {
					m.Store(i, i)
					stored.Store(int64(i + 1))
				}
			}()
			for {
				select {
				case <-done:
					assert.Equal(t, 20000, m.Len())
					return
				default:
				}
				before := stored.Load()
				n := m.Len()
				after := stored.Load() + 1 // a store may be under way
				if int64(n) < before || int64(n) > after {
					t.Fatalf("Len() = %d, want within [%d, %d]", n, before, after)
				}
			}
		})
		t.Run("shrinking", func(t *testing.T) {
			const n = 20000
			var m safemap.Map[int, int]
			for i := range n {
				m.Store(i, i)
			}
			var deleted atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range n {
					m.Delete(i)
					deleted.Store(int64(i + 1))
				}
			}()
			for {
				select {
				case <-done:
					assert.Zero(t, m.Len())
					return
				default:
				}
				before := deleted.Load()
				l := m.Len()
				after := deleted.Load() + 1 // a delete may be under way
				if int64(l) > n-before || int64(l) < n-after {
					t.Fatalf("Len() = %d, want within [%d, %d]", l, n-after, n-before)
				}
			}
		})
	})
}

// The contract: after Delete returns, Load of the key returns
// ok == false and a Range that starts afterwards does not visit it — while
// other goroutines Range, Load and store other keys.
func TestDeleteIsFinal(t *testing.T) {
	allModes(t, func(t *testing.T) {
		const n = 4000
		var m safemap.Map[int, int]
		for i := range n {
			m.Store(i, i+1)
		}
		// deleted: keys below it have been deleted, in order, and are never
		// stored again.
		var deleted atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		fail := func(format string, args ...any) {
			t.Errorf(format, args...)
		}
		for range 2 { // rangers
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					d := int(deleted.Load())
					m.Range(func(k, v int) bool {
						if k < d {
							fail("Range visited key %d (value %d), deleted before the Range started", k, v)
							return false
						}
						return true
					})
				}
			})
		}
		for w := range 2 { // loaders
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 2))
				for {
					select {
					case <-stop:
						return
					default:
					}
					d := int(deleted.Load())
					if d == 0 {
						continue
					}
					k := r.IntN(d)
					if v, ok := m.Load(k); ok {
						fail("Load(%d) = %d, true after Delete(%d) returned", k, v, k)
					}
				}
			})
		}
		wg.Go(func() { // a writer of other keys, so that the map's structure changes
			for i := n; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m.Store(n+i%512, i)
			}
		})
		for k := range n {
			m.Delete(k)
			if v, ok := m.Load(k); ok {
				t.Errorf("Load(%d) = %d, true right after Delete(%d)", k, v, k)
			}
			deleted.Store(int64(k + 1))
		}
		close(stop)
		wg.Wait()
		for k := range n {
			_, ok := m.Load(k)
			require.False(t, ok, fmt.Sprintf("Load(%d) found a deleted key", k))
		}
	})
}
