package safemap_test

import (
	"bytes"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
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
	"github.com/custody-go/custody/safemap"
)

// line returns the line of its caller: `m.Load(k)` then `at := line() - 1`
// names the line of the Load.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// assertSite checks that s is line l of this file.
func assertSite(t *testing.T, s custody.Site, l int, what string) {
	t.Helper()
	assert.True(t, strings.HasSuffix(s.Frame().File, "safemap/verify_test.go"), "%s site file = %s, want safemap/verify_test.go", what, s.Frame().File)
	assert.Equal(t, l, s.Frame().Line, "%s site %s, want line %d", what, s, l)
}

// An order is what the incident's cache held.
type cachedOrder struct {
	ID    string
	Qty   int
	Items []string
}

func TestZeroValueEvents(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	var m safemap.Map[string, int]

	m.Store("a", 0)
	storeLine := line() - 1
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapZeroStored}, sinktest.Kinds(es))
	assert.Equal(t, "a", es[0].Object)
	assertSite(t, es[0].Site, storeLine, "zero store")
	require.NotEmpty(t, es[0].Stack)
	assert.Equal(t, es[0].Site.Frame().Function, es[0].Stack.Frames()[0].Function, "the stack starts at the store")

	loads := []struct {
		name string
		op   func() (int, bool)
	}{
		{"Load", func() (int, bool) { return m.Load("a") }},
		{"LoadOrStore", func() (int, bool) { return m.LoadOrStore("a", 7) }},
		{"Swap", func() (int, bool) {
			v, ok := m.Swap("a", 0) // stores a zero again, reported from here
			return v, ok
		}},
		{"LoadAndDelete", func() (int, bool) { return m.LoadAndDelete("a") }},
	}
	for _, tc := range loads {
		v, ok := tc.op()
		require.True(t, ok, tc.name)
		require.Zero(t, v, tc.name)
		es := rec.Take()
		require.NotEmpty(t, es, tc.name)
		e := es[0]
		assert.Equal(t, custody.MapZeroLoaded, e.Kind, tc.name)
		assert.Equal(t, "a", e.Object, tc.name)
		assert.Contains(t, e.Site.Frame().Function, "safemap_test.TestZeroValueEvents.func", "%s site %s", tc.name, e.Site)
		assert.NotEmpty(t, e.Stack, tc.name)
		assert.False(t, e.Earlier.Time.IsZero(), tc.name)
		if tc.name == "Swap" {
			require.Equal(t, []custody.Kind{custody.MapZeroLoaded, custody.MapZeroStored}, sinktest.Kinds(es))
			assert.Equal(t, es[1].Site, e.Site, "the Swap is both the load and the store")
		} else {
			require.Len(t, es, 1, tc.name)
		}
		if tc.name == "Load" {
			assertSite(t, e.Earlier.Site, storeLine, "Load's Other")
		}
	}
	_, ok := m.Load("a")
	require.False(t, ok)

	// Non-zero values make no events.
	m.Store("b", 1)
	m.Load("b")
	m.LoadOrStore("b", 2)
	m.Swap("b", 3)
	m.LoadAndDelete("b")
	assert.Empty(t, rec.Take())
}

func TestZeroLoadedStoredWhileOff(t *testing.T) {
	var m safemap.Map[string, *cachedOrder]
	m.Store("o", nil) // custody is off: no record
	rec := sinktest.Install(t, core.Verify)
	v, ok := m.Load("o")
	at := line() - 1
	require.True(t, ok)
	require.Nil(t, v)
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapZeroLoaded}, sinktest.Kinds(es))
	assertSite(t, es[0].Site, at, "Load")
	assert.True(t, es[0].Earlier == nil, "the store site of a value stored while off is unknown")
}

// The incident: a pointer from LoadOrStore changed in place. The next
// operation on the key reports it, once, naming both sites.
func TestMutatedAfterLoadOrStore(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	var m safemap.Map[string, *cachedOrder]
	o, _ := m.LoadOrStore("order-1", &cachedOrder{ID: "order-1", Qty: 1})
	storeLine := line() - 1
	m.Load("order-1")
	assert.Empty(t, rec.Take(), "an unchanged value was reported")

	o.Qty = 3
	_, _ = m.Load("order-1")
	loadLine := line() - 1
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(es))
	assert.Equal(t, "order-1", es[0].Object)
	assertSite(t, es[0].Site, loadLine, "noticing Load")
	assertSite(t, es[0].Earlier.Site, storeLine, "LoadOrStore")
	require.NotEmpty(t, es[0].Stack)
	assert.Equal(t, es[0].Site.Frame().Function, es[0].Stack.Frames()[0].Function, "the stack starts at the load")
	assert.False(t, es[0].Earlier.Time.IsZero())

	o.Qty = 4
	m.Load("order-1")
	assert.Zero(t, mapcheck.CheckAll())
	assert.Empty(t, rec.Take(), "a store's mutation is reported once")
}

// The check does not depend on the interleaving: a goroutine that loads a
// shared order and changes it, properly synchronized with the test so that
// the race detector has nothing to say, is reported every time.
func TestMutationFoundDeterministically(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	for range 50 {
		var m safemap.Map[string, *cachedOrder]
		m.Store("order-1", &cachedOrder{ID: "order-1"})
		var wg sync.WaitGroup
		wg.Go(func() {
			o, _ := m.LoadOrStore("order-1", &cachedOrder{ID: "order-1"})
			o.Items = append(o.Items, "sku-42")
		})
		wg.Wait()
		m.Load("order-1")
		require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	}
}

// Every later operation on the key finds a change, and so does CheckAll.
func TestMutationFoundByEachOperation(t *testing.T) {
	type orders = safemap.Map[string, *cachedOrder]
	ops := []struct {
		name string
		// op does the operation on m, where o is stored under "k", and
		// returns the operation's line.
		op func(m *orders, o *cachedOrder) int
	}{
		{"Load", func(m *orders, _ *cachedOrder) int { m.Load("k"); return line() }},
		{"LoadOrStore", func(m *orders, _ *cachedOrder) int { m.LoadOrStore("k", nil); return line() }},
		{"LoadAndDelete", func(m *orders, _ *cachedOrder) int { m.LoadAndDelete("k"); return line() }},
		{"Delete", func(m *orders, _ *cachedOrder) int { m.Delete("k"); return line() }},
		{"Store", func(m *orders, _ *cachedOrder) int { m.Store("k", &cachedOrder{}); return line() }},
		{"Store the same pointer back", func(m *orders, o *cachedOrder) int { m.Store("k", o); return line() }},
		{"Swap", func(m *orders, _ *cachedOrder) int { m.Swap("k", &cachedOrder{}); return line() }},
		{"CompareAndSwap", func(m *orders, o *cachedOrder) int { m.CompareAndSwap("k", o, &cachedOrder{}); return line() }},
		{"CompareAndSwap failing", func(m *orders, _ *cachedOrder) int { m.CompareAndSwap("k", nil, nil); return line() }},
		{"CompareAndDelete", func(m *orders, o *cachedOrder) int { m.CompareAndDelete("k", o); return line() }},
		{"Update", func(m *orders, _ *cachedOrder) int {
			at := line() + 1
			m.Update("k", func(o *cachedOrder, _ bool) (*cachedOrder, bool) { return &cachedOrder{ID: o.ID}, true })
			return at
		}},
		{"Range", func(m *orders, _ *cachedOrder) int {
			m.Range(func(string, *cachedOrder) bool { return true })
			return line() - 1
		}},
		{"Clear", func(m *orders, _ *cachedOrder) int { m.Clear(); return line() }},
		{"CheckAll", func(*orders, *cachedOrder) int { mapcheck.CheckAll(); return line() }},
	}
	for _, tc := range ops {
		t.Run(tc.name, func(t *testing.T) {
			rec := sinktest.Install(t, core.Verify)
			var m orders
			o := &cachedOrder{ID: "o", Items: []string{"a"}}
			m.Store("k", o)
			storeLine := line() - 1
			o.Items[0] = "b"
			opLine := tc.op(&m, o)
			var found []custody.Event
			for _, e := range rec.Take() {
				if e.Object == "k" {
					found = append(found, e)
				}
			}
			require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(found))
			assertSite(t, found[0].Site, opLine, tc.name)
			assertSite(t, found[0].Earlier.Site, storeLine, "Store")
		})
	}
}

// Update replaces a value: no event for the replaced value, and the new one
// is checked from the Update on.
func TestUpdateReplacesWithoutEvent(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	var m safemap.Map[string, *cachedOrder]
	m.Store("order-1", &cachedOrder{ID: "order-1", Items: []string{"a"}})
	var updateLine int
	for range 3 {
		updateLine = line() + 1
		m.Update("order-1", func(old *cachedOrder, _ bool) (*cachedOrder, bool) {
			c := *old
			c.Qty++
			c.Items = append(c.Items[:len(c.Items):len(c.Items)], "b")
			return &c, true
		})
	}
	o, _ := m.Load("order-1")
	assert.Equal(t, 3, o.Qty)
	assert.Equal(t, []string{"a", "b", "b", "b"}, o.Items)
	m.Range(func(string, *cachedOrder) bool { return true })
	assert.Empty(t, rec.Take())

	o.Qty = 10 // the value the last Update stored, changed in place
	m.Load("order-1")
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(es))
	assertSite(t, es[0].Earlier.Site, updateLine, "Update")
}

// An Update whose fn changes old in place, instead of returning a copy, is
// reported at the Update.
func TestUpdateMutatingOldInPlace(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	var m safemap.Map[string, *cachedOrder]
	m.Store("order-1", &cachedOrder{ID: "order-1"})
	at := line() + 1
	m.Update("order-1", func(old *cachedOrder, _ bool) (*cachedOrder, bool) {
		old.Qty++
		return old, true
	})
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(es))
	assertSite(t, es[0].Site, at, "Update")
}

// What a value reaches through slices, maps, interfaces and unexported
// fields is fingerprinted; the map's own copy of a value is not shared.
func TestMutationKinds(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	t.Run("slice", func(t *testing.T) {
		var m safemap.Map[string, []int]
		s := []int{1, 2, 3}
		m.Store("s", s)
		s[2] = 4
		m.Load("s")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
	t.Run("append within capacity does not change the stored slice", func(t *testing.T) {
		var m safemap.Map[string, []int]
		s := make([]int, 1, 4)
		m.Store("s", s)
		_ = append(s, 1)
		m.Load("s")
		assert.Empty(t, rec.Take())
	})
	t.Run("map", func(t *testing.T) {
		var m safemap.Map[string, map[string]int]
		v := map[string]int{"a": 1}
		m.Store("m", v)
		m.Load("m")
		assert.Empty(t, rec.Take())
		v["b"] = 2
		m.Load("m")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
	t.Run("struct value holding a slice", func(t *testing.T) {
		var m safemap.Map[string, cachedOrder]
		o := cachedOrder{ID: "o", Items: []string{"a"}}
		m.Store("o", o)
		o.Qty = 5 // the caller's copy: the map's is untouched
		m.Load("o")
		assert.Empty(t, rec.Take())
		o.Items[0] = "b" // shared backing array
		m.Load("o")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
	t.Run("interface", func(t *testing.T) {
		var m safemap.Map[string, any]
		p := &cachedOrder{}
		m.Store("i", p)
		m.Store("n", 42)
		p.ID = "x"
		m.Load("i")
		m.Load("n")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
	t.Run("unexported fields", func(t *testing.T) {
		type inner struct {
			tags  map[string]bool
			items []int
		}
		type outer struct{ in *inner }
		var m safemap.Map[string, outer]
		in := &inner{tags: map[string]bool{"a": true}, items: []int{1}}
		m.Store("o", outer{in: in})
		m.Load("o")
		assert.Empty(t, rec.Take())
		in.tags["b"] = true
		m.Load("o")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
	t.Run("cycle", func(t *testing.T) {
		type node struct {
			next *node
			val  int
		}
		a, b := &node{val: 1}, &node{val: 2}
		a.next, b.next = b, a
		var m safemap.Map[string, *node]
		m.Store("ring", a)
		for range 3 {
			m.Load("ring")
		}
		assert.Empty(t, rec.Take())
		b.val = 3
		m.Load("ring")
		assert.Equal(t, []custody.Kind{custody.MapMutatedAfterStore}, sinktest.Kinds(rec.Take()))
	})
}

// Values that synchronize themselves are meant to be shared and changed in
// place: they are not looked into.
func TestSelfSynchronizedValues(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	type counter struct {
		mu sync.Mutex
		n  int
	}
	var counters safemap.Map[string, *counter]
	c, _ := counters.LoadOrStore("c", &counter{})
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	counters.Load("c")

	var hits safemap.Map[string, *atomic.Int64]
	h, _ := hits.LoadOrStore("h", new(atomic.Int64))
	h.Add(1)
	hits.Load("h")

	type stamped struct {
		At   time.Time // its *time.Location is not followed
		Hits *atomic.Int64
	}
	var stamps safemap.Map[string, stamped]
	s := stamped{At: time.Now(), Hits: new(atomic.Int64)}
	stamps.Store("s", s)
	s.Hits.Add(1)
	stamps.Load("s")

	assert.Zero(t, mapcheck.CheckAll()+len(rec.Take()))
}

// pbMessage has the shape of a message generated by protoc-gen-go: a
// state with a DoNotCopy [0]sync.Mutex marker, and a size cache that
// marshaling writes with atomics, so that a message is safe to marshal
// from several goroutines at once.
type pbMessage struct {
	state struct {
		_    [0]func()     // DoNotCompare
		_    [0]sync.Mutex // DoNotCopy
		info *int
	}
	sizeCache int32
	Value     string
	Tags      []string
}

func (m *pbMessage) marshal() []byte {
	atomic.StoreInt32(&m.sizeCache, int32(len(m.Value)+len(m.Tags)))
	return []byte(m.Value)
}

// Values that synchronize themselves in less obvious ways are not looked
// into either: using them concurrently, as they are meant to be used, is
// no mutation after store (and no data race in safemap's code). Run with
// -race.
func TestSelfSynchronizedShapes(t *testing.T) {
	t.Run("protobuf message", func(t *testing.T) {
		rec := sinktest.Install(t, core.Verify)
		var cache safemap.Map[string, *pbMessage]
		cache.Store("k", &pbMessage{Value: "hello", Tags: []string{"a"}})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for range 200 {
					m, _ := cache.Load("k")
					m.marshal()
				}
			})
		}
		wg.Wait()
		cache.Load("k")
		assert.Zero(t, mapcheck.CheckAll())
		assert.Empty(t, rec.Take())
	})
	t.Run("slog.Logger", func(t *testing.T) {
		// A handler serializes its writes with a *sync.Mutex it holds.
		rec := sinktest.Install(t, core.Verify)
		var buf bytes.Buffer
		var loggers safemap.Map[string, *slog.Logger]
		loggers.Store("tenant-1", slog.New(slog.NewTextHandler(&buf, nil)))
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for range 200 {
					l, _ := loggers.Load("tenant-1")
					l.Info("hello")
				}
			})
		}
		wg.Wait()
		loggers.Load("tenant-1")
		assert.Zero(t, mapcheck.CheckAll())
		assert.Empty(t, rec.Take())
		assert.Equal(t, 400, strings.Count(buf.String(), "msg=hello"))
	})
	t.Run("net.Conn", func(t *testing.T) {
		// A read in progress holds the descriptor's read lock, a word of
		// internal/poll changed with atomics.
		rec := sinktest.Install(t, core.Verify)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		var wg sync.WaitGroup
		defer wg.Wait()
		accepted := make(chan net.Conn, 1)
		wg.Go(func() {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		})
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		peer, ok := <-accepted
		require.True(t, ok, "no connection accepted")
		defer peer.Close()

		var pool safemap.Map[string, net.Conn]
		pool.Store("peer", conn)
		read := make(chan error, 1)
		wg.Go(func() {
			_, err := conn.Read(make([]byte, 1))
			read <- err
		})
		// Look the connection up, again and again, while the read blocks.
		for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
			pool.Load("peer")
			runtime.Gosched()
		}
		_, err = peer.Write([]byte("x"))
		require.NoError(t, err)
		require.NoError(t, <-read)
		pool.Load("peer")
		assert.Zero(t, mapcheck.CheckAll())
		assert.Empty(t, rec.Take())
	})
}

// Observe mode reports zero-value loads only, with the site of the
// operation but neither stacks nor store sites: it reports no zero stores
// and no mutations, whichever operation meets the changed value, and
// CheckAll does nothing.
func TestObserveMode(t *testing.T) {
	rec := sinktest.Install(t, core.Observe)
	var m safemap.Map[string, *cachedOrder]
	m.Store("nil", nil)
	assert.Empty(t, rec.Take(), "observe mode reported a zero store")
	m.Load("nil")
	es := rec.Take()
	require.Equal(t, []custody.Kind{custody.MapZeroLoaded}, sinktest.Kinds(es))
	assert.Nil(t, es[0].Stack)
	assert.True(t, es[0].Earlier == nil, "observe mode captured a store site")
	assert.False(t, (es[0].Site == 0))
	assert.Nil(t, es[0].Goroutine)

	o, _ := m.LoadOrStore("o", &cachedOrder{Items: []string{"a"}})
	o.Qty, o.Items[0] = 1, "b"
	m.Load("o")
	m.Store("o", o)
	o.Qty = 2
	m.Swap("o", o)
	o.Qty = 3
	m.CompareAndSwap("o", o, o)
	o.Qty = 4
	m.Update("o", func(old *cachedOrder, _ bool) (*cachedOrder, bool) { return old, true })
	o.Qty = 5
	m.Range(func(string, *cachedOrder) bool { return true })
	assert.Zero(t, mapcheck.CheckAll(), "CheckAll in observe mode")
	m.Delete("o")
	m.Store("o", o)
	o.Qty = 6
	m.CompareAndDelete("o", o)
	m.Store("o", o)
	o.Qty = 7
	m.LoadAndDelete("o")
	m.Store("o", o)
	o.Qty = 8
	m.Clear()
	assert.Empty(t, rec.Take(), "observe mode reported a mutation")
}

// A session's attributes are only ever touched under the program's mutex,
// and no map operation reads a session: the program is race-free. Observe
// mode, which runs in production, must not make it racy by reading what a
// stored value reaches: fingerprinting the session while the program writes
// its Go map would be a data race, and could stop the program with "fatal
// error: concurrent map iteration and map write". Run with -race.
func TestObserveModeReadsNoValue(t *testing.T) {
	rec := sinktest.Install(t, core.Observe)
	type session struct{ attrs map[string]string }
	var mu sync.Mutex
	s := &session{attrs: map[string]string{}}
	for i := range 100 {
		s.attrs[strconv.Itoa(i)] = "v"
	}
	var sessions safemap.Map[int, *session]
	sessions.Store(1, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			s.attrs[strconv.Itoa(i%100)] = strconv.Itoa(i)
			mu.Unlock()
		}
	})
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		sessions.Store(1, s) // a refresh: neither s nor the value it replaces is read
		sessions.Load(1)
		sessions.Swap(1, s)
		sessions.CompareAndSwap(1, s, s)
		sessions.Update(1, func(old *session, _ bool) (*session, bool) { return old, true })
		sessions.Range(func(int, *session) bool { return true })
		sessions.LoadAndDelete(1)
		sessions.LoadOrStore(1, s)
		sessions.CompareAndDelete(1, s)
		sessions.Store(1, s)
		sessions.Delete(1)
		sessions.Store(1, s)
		mapcheck.CheckAll()
	}
	close(stop)
	wg.Wait()
	assert.Empty(t, rec.Take())
}

func TestOffModeRecordsNothing(t *testing.T) {
	rec := sinktest.New(core.Verify)
	var m safemap.Map[string, *cachedOrder]
	m.Store("nil", nil)
	o, _ := m.LoadOrStore("o", &cachedOrder{})
	o.Qty = 1
	m.Load("nil")
	m.Load("o")
	t.Cleanup(sinktest.Set(rec))
	m.Load("o") // stored while off: not fingerprinted
	assert.Zero(t, mapcheck.CheckAll())
	assert.Empty(t, rec.Take())
}

// CheckAll finds mutations after the last operation on a key, in every live
// map, once.
func TestCheckAll(t *testing.T) {
	rec := sinktest.Install(t, core.Verify)
	var a safemap.Map[string, *cachedOrder]
	var b safemap.Map[int, []string]
	o := &cachedOrder{}
	a.Store("checkall-a", o)
	s := []string{"x"}
	b.Store(4242, s)
	o.Qty = 1
	s[0] = "y"
	n := mapcheck.CheckAll()
	at := line() - 1
	var found []custody.Event
	for _, e := range rec.Take() {
		if e.Object == "checkall-a" || e.Object == "4242" {
			found = append(found, e)
			assertSite(t, e.Site, at, "CheckAll")
		}
	}
	assert.Len(t, found, 2)
	assert.GreaterOrEqual(t, n, 2)
	mapcheck.CheckAll()
	for _, e := range rec.Take() {
		assert.NotContains(t, []string{"checkall-a", "4242"}, e.Object, "reported twice")
	}
}
