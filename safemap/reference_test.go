package safemap_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"sync"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"

	"github.com/custody-go/custody/internal/sinktest"
	"github.com/custody-go/custody/safemap"
)

// This file checks Map against a reference implementation, in the style of
// sync/map_reference_test.go and sync/map_test.go: random sequences of
// calls must give the same results on both.

// mapInterface is the method set Map has, for string keys and values.
type mapInterface interface {
	Load(key string) (value string, ok bool)
	Store(key, value string)
	LoadOrStore(key, value string) (actual string, loaded bool)
	LoadAndDelete(key string) (value string, loaded bool)
	Delete(key string)
	Swap(key, value string) (previous string, loaded bool)
	CompareAndSwap(key, old, new string) (swapped bool)
	CompareAndDelete(key, old string) (deleted bool)
	Update(key string, fn func(old string, loaded bool) (v string, keep bool)) (v string, kept bool)
	Range(f func(key, value string) bool)
	Clear()
	Len() int
}

var (
	_ mapInterface = &safemap.Map[string, string]{}
	_ mapInterface = &mutexMap{}
)

// mutexMap is the reference: a plain map guarded by a sync.Mutex.
type mutexMap struct {
	mu    sync.Mutex
	dirty map[string]string
}

func (m *mutexMap) Load(key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.dirty[key]
	return v, ok
}

func (m *mutexMap) Store(key, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirty == nil {
		m.dirty = make(map[string]string)
	}
	m.dirty[key] = value
}

func (m *mutexMap) LoadOrStore(key, value string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.dirty[key]; ok {
		return v, true
	}
	if m.dirty == nil {
		m.dirty = make(map[string]string)
	}
	m.dirty[key] = value
	return value, false
}

func (m *mutexMap) LoadAndDelete(key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.dirty[key]
	delete(m.dirty, key)
	return v, ok
}

func (m *mutexMap) Delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.dirty, key)
}

func (m *mutexMap) Swap(key, value string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirty == nil {
		m.dirty = make(map[string]string)
	}
	v, ok := m.dirty[key]
	m.dirty[key] = value
	return v, ok
}

func (m *mutexMap) CompareAndSwap(key, old, new string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.dirty[key]; !ok || v != old {
		return false
	}
	m.dirty[key] = new
	return true
}

func (m *mutexMap) CompareAndDelete(key, old string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.dirty[key]; !ok || v != old {
		return false
	}
	delete(m.dirty, key)
	return true
}

func (m *mutexMap) Update(key string, fn func(string, bool) (string, bool)) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, loaded := m.dirty[key]
	v, keep := fn(old, loaded)
	if !keep {
		delete(m.dirty, key)
		return "", false
	}
	if m.dirty == nil {
		m.dirty = make(map[string]string)
	}
	m.dirty[key] = v
	return v, true
}

func (m *mutexMap) Range(f func(key, value string) bool) {
	m.mu.Lock()
	keys := make([]string, 0, len(m.dirty))
	for k := range m.dirty {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		v, ok := m.Load(k)
		if ok && !f(k, v) {
			return
		}
	}
}

func (m *mutexMap) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.dirty)
}

func (m *mutexMap) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.dirty)
}

type mapOp string

const (
	opLoad             = mapOp("Load")
	opStore            = mapOp("Store")
	opLoadOrStore      = mapOp("LoadOrStore")
	opLoadAndDelete    = mapOp("LoadAndDelete")
	opDelete           = mapOp("Delete")
	opSwap             = mapOp("Swap")
	opCompareAndSwap   = mapOp("CompareAndSwap")
	opCompareAndDelete = mapOp("CompareAndDelete")
	opUpdate           = mapOp("Update")
	opClear            = mapOp("Clear")
	opLen              = mapOp("Len")
)

var mapOps = [...]mapOp{
	opLoad, opStore, opLoadOrStore, opLoadAndDelete, opDelete, opSwap,
	opCompareAndSwap, opCompareAndDelete, opUpdate, opClear, opLen,
}

// mapCall is a quick.Generator for calls on mapInterface.
type mapCall struct {
	op      mapOp
	k, v, w string
	mode    int // index in modeSinks, for TestMixedModesMatchMutexMap
}

// appendOrDrop is Update's fn in the calls: it appends w to the value, or
// deletes the key when the value would grow past four bytes.
func appendOrDrop(w string) func(string, bool) (string, bool) {
	return func(old string, _ bool) (string, bool) {
		if len(old)+len(w) > 4 {
			return "", false
		}
		return old + w, true
	}
}

func (c mapCall) apply(m mapInterface) (string, bool) {
	switch c.op {
	case opLoad:
		return m.Load(c.k)
	case opStore:
		m.Store(c.k, c.v)
		return "", false
	case opLoadOrStore:
		return m.LoadOrStore(c.k, c.v)
	case opLoadAndDelete:
		return m.LoadAndDelete(c.k)
	case opDelete:
		m.Delete(c.k)
		return "", false
	case opSwap:
		return m.Swap(c.k, c.v)
	case opCompareAndSwap:
		return c.w, m.CompareAndSwap(c.k, c.v, c.w)
	case opCompareAndDelete:
		return "", m.CompareAndDelete(c.k, c.v)
	case opUpdate:
		return m.Update(c.k, appendOrDrop(c.w))
	case opClear:
		m.Clear()
		return "", false
	case opLen:
		return fmt.Sprint(m.Len()), true
	}
	panic("invalid mapOp")
}

type mapResult struct {
	value string
	ok    bool
}

// randValue returns one of a few short strings, so that keys repeat and
// CompareAndSwap sometimes matches.
func randValue(r *rand.Rand) string {
	b := make([]byte, r.Intn(3))
	for i := range b {
		b[i] = 'a' + byte(r.Intn(3))
	}
	return string(b)
}

func (mapCall) Generate(r *rand.Rand, _ int) reflect.Value {
	return reflect.ValueOf(mapCall{
		op: mapOps[r.Intn(len(mapOps))],
		k:  randValue(r), v: randValue(r), w: randValue(r),
		mode: r.Intn(len(modeSinks)),
	})
}

func applyCalls(m mapInterface, calls []mapCall) (results []mapResult, final map[string]string) {
	for _, c := range calls {
		v, ok := c.apply(m)
		results = append(results, mapResult{v, ok})
	}
	final = make(map[string]string)
	m.Range(func(k, v string) bool {
		final[k] = v
		return true
	})
	return results, final
}

func applySafemap(calls []mapCall) ([]mapResult, map[string]string) {
	return applyCalls(new(safemap.Map[string, string]), calls)
}

func applyMutexMap(calls []mapCall) ([]mapResult, map[string]string) {
	return applyCalls(new(mutexMap), calls)
}

func TestMapMatchesMutexMap(t *testing.T) {
	allModes(t, func(t *testing.T) {
		if err := quick.CheckEqual(applySafemap, applyMutexMap, &quick.Config{MaxCount: 500}); err != nil {
			t.Error(err)
		}
	})
}

// A map used in one mode and then another holds values stored in each
// (boxes with and without records); the results are the same.
func TestMixedModesMatchMutexMap(t *testing.T) {
	applyMixed := func(calls []mapCall) ([]mapResult, map[string]string) {
		m := new(safemap.Map[string, string])
		var results []mapResult
		for _, c := range calls {
			restore := sinktest.Set(modeSinks[c.mode].sink)
			v, ok := c.apply(m)
			restore()
			results = append(results, mapResult{v, ok})
		}
		final := make(map[string]string)
		m.Range(func(k, v string) bool {
			final[k] = v
			return true
		})
		return results, final
	}
	if err := quick.CheckEqual(applyMixed, applyMutexMap, &quick.Config{MaxCount: 500}); err != nil {
		t.Error(err)
	}
}

// Goroutines working on disjoint keys of one shared Map get the results
// each one's private reference map gives, while others Range over it.
func TestConcurrentMatchesMutexMap(t *testing.T) {
	allModes(t, func(t *testing.T) {
		const workers, calls = 4, 3000
		var shared safemap.Map[string, string]
		stop := make(chan struct{})
		var rangers sync.WaitGroup
		rangers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				shared.Range(func(string, string) bool { return true })
			}
		})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewSource(int64(w)))
				prefix := fmt.Sprintf("w%d/", w)
				mine := &prefixed{m: &shared, prefix: prefix}
				var ref mutexMap
				for i := range calls {
					c := mapCall{op: mapOps[r.Intn(len(mapOps))], k: randValue(r), v: randValue(r), w: randValue(r)}
					if c.op == opClear || c.op == opLen {
						continue // whole-map operations see the other workers' keys
					}
					got, gotOK := c.apply(mine)
					want, wantOK := c.apply(&ref)
					if got != want || gotOK != wantOK {
						t.Errorf("worker %d call %d %s(%q, %q, %q) = %q, %v, want %q, %v",
							w, i, c.op, c.k, c.v, c.w, got, gotOK, want, wantOK)
						return
					}
				}
				final := map[string]string{}
				shared.Range(func(k, v string) bool {
					if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
						final[k[len(prefix):]] = v
					}
					return true
				})
				assert.Equal(t, nonNil(ref.dirty), nonNil(final), "worker %d final contents", w)
			})
		}
		wg.Wait()
		close(stop)
		rangers.Wait()
	})
}

// nonNil returns m, or nil when m is empty, so that a map never made and an
// emptied one compare equal.
func nonNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// prefixed is a view of a Map restricted to keys that start with prefix.
type prefixed struct {
	m      *safemap.Map[string, string]
	prefix string
}

func (p *prefixed) Load(k string) (string, bool)           { return p.m.Load(p.prefix + k) }
func (p *prefixed) Store(k, v string)                      { p.m.Store(p.prefix+k, v) }
func (p *prefixed) LoadOrStore(k, v string) (string, bool) { return p.m.LoadOrStore(p.prefix+k, v) }
func (p *prefixed) LoadAndDelete(k string) (string, bool)  { return p.m.LoadAndDelete(p.prefix + k) }
func (p *prefixed) Delete(k string)                        { p.m.Delete(p.prefix + k) }
func (p *prefixed) Swap(k, v string) (string, bool)        { return p.m.Swap(p.prefix+k, v) }
func (p *prefixed) CompareAndSwap(k, o, n string) bool     { return p.m.CompareAndSwap(p.prefix+k, o, n) }
func (p *prefixed) CompareAndDelete(k, o string) bool      { return p.m.CompareAndDelete(p.prefix+k, o) }
func (p *prefixed) Update(k string, fn func(string, bool) (string, bool)) (string, bool) {
	return p.m.Update(p.prefix+k, fn)
}
func (p *prefixed) Range(func(string, string) bool) { panic("not used") }
func (p *prefixed) Clear()                          { panic("not used") }
func (p *prefixed) Len() int                        { panic("not used") }
