package safemap

import (
	"context"
	"net"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/mapcheck"
	"github.com/custody-go/custody/internal/sinktest"
)

// fp fingerprints *p as a stored value of type T.
func fp[T any](p *T) (uint64, bool) {
	v := reflect.ValueOf(p).Elem()
	return fingerprint(v, infoOf(v.Type()))
}

func TestTypeInfo(t *testing.T) {
	type withMutex struct {
		mu sync.Mutex
		n  int
	}
	type withAtomic struct{ n atomic.Int64 }
	type plainStruct struct {
		a int
		s string
	}
	type marked struct { // a protobuf message's marker
		_ [0]sync.Mutex
		n int32
	}
	type lockedBy struct { // log/slog's handlers
		mu  *sync.Mutex
		buf []byte
	}
	type holdsSlice struct{ s []int }
	type holdsAny struct{ x any }
	tests := []struct {
		v             any
		reach, opaque bool
		cmp           cmpKind
	}{
		{v: 0, cmp: cmpStatic},
		{v: "", cmp: cmpStatic},
		{v: plainStruct{}, cmp: cmpStatic},
		{v: [4]int{}, cmp: cmpStatic},
		{v: new(int), reach: true, cmp: cmpStatic},
		{v: new(plainStruct), reach: true, cmp: cmpStatic},
		{v: []int{}, reach: true, cmp: cmpNever},
		{v: map[string]int{}, reach: true, cmp: cmpNever},
		{v: holdsSlice{}, reach: true, cmp: cmpNever},
		{v: holdsAny{}, reach: true, cmp: cmpDynamic},
		{v: [1]holdsAny{}, reach: true, cmp: cmpDynamic},
		{v: new(withMutex), cmp: cmpStatic},  // synchronizes itself
		{v: new(withAtomic), cmp: cmpStatic}, // synchronizes itself
		{v: withMutex{}, opaque: true, cmp: cmpStatic},
		{v: new(marked), cmp: cmpStatic}, // synchronizes itself
		{v: marked{}, opaque: true, cmp: cmpStatic},
		{v: new(lockedBy), cmp: cmpStatic}, // synchronizes itself
		{v: net.TCPConn{}, cmp: cmpStatic}, // its *netFD holds an internal/poll.FD, which synchronizes itself
		{v: new(time.Location), cmp: cmpStatic},
		{v: time.Time{}, opaque: true, cmp: cmpStatic}, // its *Location is not followed
		{v: new(struct{}), cmp: cmpStatic},
		{v: make(chan int), cmp: cmpStatic},
		{v: func() {}, cmp: cmpNever},
	}
	for _, tc := range tests {
		ti := infoOf(reflect.TypeOf(tc.v))
		assert.Equal(t, tc.reach, ti.reach, "infoOf(%T).reach", tc.v)
		assert.Equal(t, tc.opaque, ti.opaque, "infoOf(%T).opaque", tc.v)
		assert.Equal(t, tc.cmp, ti.cmp, "infoOf(%T).cmp", tc.v)
	}
	ti := infoOf(reflect.TypeFor[any]())
	assert.True(t, ti.reach)
	assert.Equal(t, cmpDynamic, ti.cmp)
}

func TestFingerprintDeterministic(t *testing.T) {
	type item struct {
		sku  string
		tags map[string][]int
	}
	shared := &item{sku: "shared", tags: map[string][]int{"x": {1}}}
	big := map[int]*item{}
	for i := range 2 * maxNodes { // more entries than the walk's budget: hashed by length
		big[i] = shared
	}
	medium := map[int]*item{}
	for i := range 500 { // entries that share what they point to
		medium[i] = shared
	}
	small := map[string]*item{}
	for i := range 50 {
		small[string(rune('a'+i%26))+string(rune('a'+i/26))] = &item{sku: "s", tags: map[string][]int{"t": {i, i}}}
	}
	values := []any{big, medium, small, map[string]any{"a": small, "b": []any{small, medium, big}}}
	for _, v := range values {
		first, deep := fp(&v)
		require.True(t, deep)
		for range 10 { // map iteration order changes from walk to walk
			got, _ := fp(&v)
			require.Equal(t, first, got, "fingerprint of %T changed without a change", v)
		}
	}
	before, _ := fp(&small)
	small["aa"].tags["t"][1] = -1
	after, _ := fp(&small)
	assert.NotEqual(t, before, after)
}

func TestFingerprintBudget(t *testing.T) {
	s := make([]byte, 2*maxBytes)
	before, deep := fp(&s)
	require.True(t, deep)
	s[len(s)-1] = 1 // beyond the budget: unseen
	after, _ := fp(&s)
	assert.Equal(t, before, after)
	s[0] = 1
	after, _ = fp(&s)
	assert.NotEqual(t, before, after)

	type node struct {
		next *node
		v    int
	}
	var head *node
	for i := range 2 * maxDepth {
		head = &node{next: head, v: i}
	}
	before, _ = fp(&head)
	tail := head
	for tail.next != nil {
		tail = tail.next
	}
	tail.v = 99 // beyond the depth limit
	after, _ = fp(&head)
	assert.Equal(t, before, after)
	head.next.v = 99
	after, _ = fp(&head)
	assert.NotEqual(t, before, after)
}

func TestFingerprintCycles(t *testing.T) {
	s := make([]any, 2)
	s[0] = s // a slice holding itself
	m := map[string]any{}
	m["self"] = m // a map holding itself
	s[1] = m
	before, deep := fp(&s)
	require.True(t, deep)
	again, _ := fp(&s)
	assert.Equal(t, before, again)
	m["x"] = 1
	after, _ := fp(&s)
	assert.NotEqual(t, before, after)
}

func TestFingerprintNothingMutable(t *testing.T) {
	var (
		n      = 42
		str    = "immutable"
		nilPtr *int
		empty  []int
		nilMap map[string]int
		boxed  any = 7
		fn         = func() {}
	)
	for _, v := range []any{n, str, nilPtr, empty, nilMap, boxed, fn, make(chan int)} {
		_, deep := fp(&v)
		assert.False(t, deep, "fingerprint of %T found mutable memory", v)
	}
}

// within fails t if f has not returned after d, so that a walk that blows
// up fails its test instead of hanging it. f then goes on in the
// background.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("did not return within %v", d)
	}
}

// selfMap is a map that can hold itself.
type selfMap map[int]selfMap

// Observe mode records whether a stored value is zero and nothing else: it
// fingerprints nothing, not even a value whose walk would be long.
func TestObserveNeverFingerprints(t *testing.T) {
	rec := sinktest.Install(t, core.Observe)
	var orders Map[string, *[]int]
	orders.Store("o", &[]int{1})
	x, _ := orders.m.Load("o")
	assert.IsType(t, (*[]int)(nil), x, "a value stored in observe mode is stored bare, with no record")
	orders.Store("nil", nil)
	x, _ = orders.m.Load("nil")
	assert.Same(t, observedZero, x.(*entry[*[]int]).rec, "the record of a zero stored in observe mode")
	assert.False(t, orders.listed.Load(), "observe mode listed the map for CheckAll")

	g := selfMap{}
	g[0], g[1] = g, g
	var graphs Map[string, selfMap]
	within(t, 10*time.Second, func() {
		graphs.Store("g", g)
		graphs.Load("g")
		graphs.Store("g", g)
		graphs.Delete("g")
	})
	assert.Empty(t, rec.Take())
}

// A peer is a node of a graph whose edges are map entries.
type peer struct {
	name  string
	peers map[string]*peer
}

// complete returns a node of a complete graph of n peers.
func complete(n int) *peer {
	ps := make([]*peer, n)
	for i := range ps {
		ps[i] = &peer{name: strconv.Itoa(i), peers: map[string]*peer{}}
	}
	for _, a := range ps {
		for _, b := range ps {
			if a != b {
				a.peers[b.name] = b
			}
		}
	}
	return ps[0]
}

// chain returns a DAG of d maps, each with two entries holding the next one.
func chain(d int) selfMap {
	next := selfMap{}
	for range d {
		next = selfMap{0: next, 1: next}
	}
	return next
}

// The limits bound the whole walk: maps whose entries reach other maps, or
// themselves, are fingerprinted within the walk's steps and bytes, however
// often the walk comes back to the same maps, and the fingerprint does not
// depend on iteration order. Before the limits were shared, each entry got
// a budget of its own, and these walks grew exponentially: a complete graph
// of 4 peers took 35s, the self-referencing map never finished.
func TestFingerprintSharedBudget(t *testing.T) {
	self := selfMap{}
	self[0], self[1] = self, self
	self4 := selfMap{}
	for i := range 4 {
		self4[i] = self4
	}
	values := map[string]any{
		"self-referencing map":              self,
		"self-referencing map of 4 entries": self4,
		"DAG of 20 maps":                    chain(20),
		"complete graph of 4 peers":         complete(4),
		"complete graph of 8 peers":         complete(8),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			rv := reflect.ValueOf(&v).Elem()
			w := walker{nodes: maxNodes, bytes: maxBytes}
			var again []uint64
			within(t, 10*time.Second, func() {
				w.walk(rv, infoOf(rv.Type()), 0)
				for range 20 { // map iteration order changes from walk to walk
					got, _ := fp(&v)
					again = append(again, got)
				}
			})
			assert.True(t, w.deep)
			assert.GreaterOrEqual(t, w.nodes, 0, "steps left")
			assert.GreaterOrEqual(t, w.bytes, 0, "bytes left")
			assert.Less(t, w.nodes, maxNodes-64, "the walk was charged for the map's entries")
			for _, got := range again {
				require.Equal(t, w.h, got, "fingerprint changed without a change")
			}
		})
	}

	t.Run("change found", func(t *testing.T) {
		rec := sinktest.Install(t, core.Verify)
		g := complete(4)
		var graphs Map[string, *peer]
		within(t, 10*time.Second, func() {
			graphs.Store("g", g)
			graphs.Load("g")
		})
		assert.Empty(t, rec.Take())
		for _, p := range g.peers {
			delete(p.peers, g.name) // a neighbour forgets the stored peer
			break
		}
		within(t, 10*time.Second, func() { graphs.Load("g") })
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
}

// A map's entries share the walk's byte budget: many large entries are not
// each hashed up to a budget of their own.
func TestFingerprintMapBytesCharged(t *testing.T) {
	m := map[int][]byte{}
	for i := range 100 {
		m[i] = make([]byte, 4<<10)
	}
	rv := reflect.ValueOf(&m).Elem()
	w := walker{nodes: maxNodes, bytes: maxBytes}
	w.walk(rv, infoOf(rv.Type()), 0)
	assert.GreaterOrEqual(t, w.bytes, 0)
	assert.Less(t, w.bytes, maxBytes/100, "bytes left after hashing 400 KiB of entries")
}

// The CheckAll list keeps no map alive and drops the ones that are gone.
func TestListDropsDeadMaps(t *testing.T) {
	defer sinktest.Set(verifySink{})()
	live := new(Map[int, *int])
	live.Store(1, new(int))
	func() {
		for range 40 {
			m := new(Map[int, *int])
			m.Store(1, new(int))
		}
	}()
	for range 3 {
		runtime.GC()
	}
	n := mapcheck.Listed(func(m mapcheck.Map) bool { _, ok := m.(weakMap[int, *int]); return ok })
	assert.Less(t, n, 40, "dead maps stay listed")
	assert.GreaterOrEqual(t, n, 1, "the live map is not listed")
	runtime.KeepAlive(live)
}

type verifySink struct{}

func (verifySink) Emit(context.Context, custody.Event) {}
func (verifySink) Mode() core.Mode                     { return core.Verify }
