package safemap_test

import (
	"context"
	"math"
	"runtime/pprof"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/mapcheck"
	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/safemap"
)

// zeroOps stores a zero under key and loads it back every way a map can.
func zeroOps[V any](m *safemap.Map[string, V], key string) {
	var zero V
	m.Store(key, zero)
	m.Load(key)
	m.LoadOrStore(key, zero)
	m.Swap(key, zero)
	m.LoadAndDelete(key)
}

// A set's zero-size values are never a zero-value load, in any mode and
// whatever the mode was when they were stored.
func TestZeroSizeValuesAreNeverZeroLoads(t *testing.T) {
	type empty struct{ _ [0]int }
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			var set safemap.Map[string, struct{}]
			var other safemap.Map[string, empty]
			set.Store("stored while off", struct{}{})
			r := sinktest.Install(t, mode)
			set.Load("stored while off")
			zeroOps(&set, "k")
			zeroOps(&other, "k")
			assert.Empty(t, r.Take())
		})
	}
}

// AllowZero, called where the map is made, silences zero values in that map
// and no other; a value stored before it is covered too.
func TestAllowZero(t *testing.T) {
	for _, mode := range []core.Mode{core.Observe, core.Verify} {
		t.Run(mode.String(), func(t *testing.T) {
			var counters, strict safemap.Map[string, int]
			counters.Store("stored while off", 0)
			r := sinktest.Install(t, mode)
			counters.Store("stored before AllowZero", 0)
			r.Take()
			counters.AllowZero()
			counters.AllowZero() // again: nothing changes

			counters.Load("stored while off")
			counters.Load("stored before AllowZero")
			zeroOps(&counters, "k")
			counters.Update("k", func(int, bool) (int, bool) { return 0, true })
			counters.Load("k")
			assert.Empty(t, r.Take())

			zeroOps(&strict, "k")
			assert.NotEmpty(t, r.Take(), "the other map still reports its zeros")
		})
	}
	var m safemap.Map[string, *int]
	m.AllowZero() // the zero Map
	m.Store("a", nil)
	v, ok := m.Load("a")
	assert.True(t, ok)
	assert.Nil(t, v)
}

// Package variables, which the compiler cannot fold into constants boxed
// at compile time on the sync.Map side only.
var (
	key, str            string
	p, nilP             *int
	big, small, zeroInt int
	float               float64
	truth               bool
	empty               struct{}
)

// A Map allocates what a sync.Map doing the same work allocates, for values
// sync.Map stores without an allocation (booleans, small integers,
// pointers, zero-size values) and for those it boxes: with custody off, and
// in observe and verify modes for values about which nothing is recorded.
func TestStoreAllocatesAsSyncMap(t *testing.T) {
	var (
		s      sync.Map
		bools  safemap.Map[string, bool]
		ints   safemap.Map[string, int]
		strs   safemap.Map[string, string]
		ptrs   safemap.Map[string, *int]
		sets   safemap.Map[string, struct{}]
		floats safemap.Map[string, float64]
	)
	key, p, big, str, float, truth, small = string([]byte("key")), new(int), 1<<40, string([]byte("a value")), 2.5, true, 7
	for _, tt := range []struct {
		name          string
		safemap, sync func()
		// recorded: observe and verify modes keep a record of the value
		// (a zero, or in verify mode a value reaching mutable memory).
		recorded, verifyRecorded bool
	}{
		{"bool", func() { bools.Store(key, truth) }, func() { s.Store(key, truth) }, false, false},
		{"small int", func() { ints.Store(key, small) }, func() { s.Store(key, small) }, false, false},
		{"zero int", func() { ints.Store(key, zeroInt) }, func() { s.Store(key, zeroInt) }, true, true},
		{"large int", func() { ints.Store(key, big) }, func() { s.Store(key, big) }, false, false},
		{"string", func() { strs.Store(key, str) }, func() { s.Store(key, str) }, false, false},
		{"pointer", func() { ptrs.Store(key, p) }, func() { s.Store(key, p) }, false, true},
		{"nil pointer", func() { ptrs.Store(key, nilP) }, func() { s.Store(key, nilP) }, true, true},
		{"struct{}", func() { sets.Store(key, empty) }, func() { s.Store(key, empty) }, false, false},
		{"float64", func() { floats.Store(key, float) }, func() { s.Store(key, float) }, false, false},
		{"Load", func() { ints.Load(key) }, func() { x, _ := s.Load(key); _, _ = x.(int) }, false, false},
	} {
		for _, mode := range modeSinks {
			if mode.name == "observe" && tt.recorded || mode.name == "verify" && tt.verifyRecorded {
				continue
			}
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				defer sinktest.Set(mode.sink)()
				want := testing.AllocsPerRun(100, tt.sync)
				got := testing.AllocsPerRun(100, tt.safemap)
				assert.Equal(t, want, got, "allocations per operation: safemap.Map, want sync.Map's")
			})
		}
	}
}

// Values whose == is not reflexive (NaN) or may panic (interfaces) are
// boxed, so that Update and CompareAndSwap, which compare what they loaded
// with what is stored, still end.
func TestUpdateOfNaNAndInterfaces(t *testing.T) {
	allModes(t, func(t *testing.T) {
		var floats safemap.Map[string, float64]
		floats.Store("x", math.NaN())
		v, kept := floats.Update("x", func(old float64, loaded bool) (float64, bool) { return 1, true })
		assert.True(t, kept)
		assert.Equal(t, 1.0, v)

		var anys safemap.Map[string, any]
		anys.Store("s", []int{1}) // not comparable
		v2, kept := anys.Update("s", func(old any, loaded bool) (any, bool) { return "replaced", true })
		assert.True(t, kept)
		assert.Equal(t, "replaced", v2)
		anys.Store("nil", nil)
		got, ok := anys.Load("nil")
		assert.True(t, ok)
		assert.Nil(t, got)
	})
}

// labelled runs f on a goroutine whose labels name the identity id, as the
// oracle and safego label a test's and an owned goroutine's.
func labelled(id, name string, f func()) {
	done := make(chan struct{})
	pprof.Do(context.Background(), pprof.Labels(core.LabelID, id, core.LabelName, name), func(context.Context) {
		go func() {
			defer close(done)
			f()
		}()
	})
	<-done
}

// A value mutated after store by a goroutine that never touches its key
// again is attributed to the identity that stored it, through its labels:
// CheckStoredBy with that identity finds it, with another does not, and an
// operation on the key by another identity names the storer.
func TestMutationAttributedToStorer(t *testing.T) {
	r := sinktest.Install(t, core.Verify)
	var orders safemap.Map[string, *cachedOrder]
	stored := &cachedOrder{ID: "a"}
	labelled("101", "TestStorer", func() {
		orders.Store("by-storer", stored)
		stored.Qty = 2 // and never touches the key again
	})
	other := &cachedOrder{ID: "b"}
	labelled("202", "TestOther", func() {
		orders.Store("by-other", other)
		other.Qty = 3
	})
	isStorer := func(id uint64) bool { return id == 101 }

	assert.Zero(t, mapcheck.CheckStoredBy(func(id uint64) bool { return id == 303 }), "a test that stored nothing")
	assert.Empty(t, r.Take())

	assert.Equal(t, 1, mapcheck.CheckStoredBy(isStorer))
	es := r.Take()
	require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(es))
	assert.Equal(t, "by-storer", es[0].Object)
	require.NotNil(t, es[0].Earlier)
	assert.Equal(t, &custody.Goroutine{ID: 101, Name: "TestStorer"}, es[0].Earlier.Goroutine)
	assert.Zero(t, mapcheck.CheckStoredBy(isStorer), "reported once")

	// Another identity's operation on the key finds the other mutation and
	// names its storer, not itself.
	labelled("303", "TestNext", func() { orders.Load("by-other") })
	es = r.Take()
	require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(es))
	assert.Equal(t, uint64(202), es[0].Earlier.Goroutine.ID)
	assert.Zero(t, mapcheck.CheckAll(), "both were reported")

	// A store by a goroutine without labels names nobody.
	unlabelled := &cachedOrder{}
	orders.Store("unlabelled", unlabelled)
	unlabelled.Qty = 1
	assert.Equal(t, 1, mapcheck.CheckStoredBy(func(id uint64) bool { return id == 0 }))
	es = r.Take()
	require.Len(t, es, 1)
	assert.Nil(t, es[0].Earlier.Goroutine)

	assert.PanicsWithValue(t, "mapcheck: CheckStoredBy called with a nil function", func() { mapcheck.CheckStoredBy(nil) })
}
