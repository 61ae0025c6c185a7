package safemap

import (
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// Map is a [sync.Map] with typed keys and values that remembers what was
// stored. In [core.Observe] and [core.Verify] modes it reports a load
// that returns ok == true with a zero value ([custody.MapZeroLoaded]); in
// verify mode also a stored value that was changed in place afterwards
// ([custody.MapMutatedAfterStore]), naming the site of the store as well as
// the operation's. With custody off it is a sync.Map and nothing more. See
// the package documentation for what each mode checks.
//
// Like sync.Map, the Map type is specialized. Most code should use a plain Go
// map instead, with a [sync.Mutex] or [sync.RWMutex], for better type safety
// and to make it easier to maintain other invariants along with the map
// content: a plain map is also the better choice when values are updated
// often, when several keys must change together, or when the map needs a
// cheap, exact length. Map is optimized for the two cases sync.Map is: (1)
// when the entry for a given key is only ever written once but read many
// times, as in caches that only grow, or (2) when multiple goroutines read,
// write, and overwrite entries for disjoint sets of keys.
//
// The zero Map is empty and ready for use. A Map must not be copied after
// first use; go vet reports copies. As with sync.Map, a key of interface type
// whose dynamic type is not comparable makes the operation panic (a runtime
// error: the key cannot be hashed). Map is safe for concurrent use by
// multiple goroutines, and its methods make the same memory-model promises
// as sync.Map's.
//
// A value stored in a Map is shared with every goroutine that loads it. If it
// holds a pointer, a slice or a map, changing what that reaches in place is
// a data race with every reader; replace the value instead, with
// [Map.Update], [Map.CompareAndSwap] or [Map.Store]. In verify mode Map
// fingerprints what each stored value reaches and checks it again on every
// later operation on the key and in [CheckAll], so that such a change is
// reported even when the race detector misses the interleaving. Values that
// synchronize themselves — a pointer to a struct with a sync.Mutex or a
// sync/atomic field, a net.Conn, a *slog.Logger, a protobuf message, a
// time.Location — are not looked into (see the package documentation).
//
// Cost, measured against a sync.Map doing the same work with a type
// assertion (BenchmarkLoad, BenchmarkStore and their Pointer variants, with
// benchratio on a noisy 2-core machine, where single runs stray by a third):
// with custody off, Load costs about one atomic load more (1.0–1.1×) and
// allocates nothing; Store costs about the same for a non-pointer value
// (1.0×; 1.6× in one noisy run), whose box replaces sync.Map's interface
// conversion, and one 8-byte allocation more (about +30%) for a pointer.
// In observe mode, which fingerprints nothing, Load costs 1.1–1.2× and
// Store 1.3–1.9×, whatever the value reaches. In verify mode Load costs 1.1×, or 3.5–5× for a small struct
// behind a pointer, whose fingerprint is checked; Store 1.3–1.7×, or 8–14×
// for such a struct, which is fingerprinted, as is the value it replaces,
// and whose store site is recorded.
type Map[K comparable, V any] struct {
	m sync.Map // K -> *plain[V] or *entry[V]

	info   atomic.Pointer[typeInfo] // V's, cached
	listed atomic.Bool              // in the CheckAll list
}

// Load returns the value stored in the map for a key, or the zero value if
// no value is present. The ok result indicates whether value was found in
// the map; it does not say that value is useful: a zero value may have been
// stored. In observe and verify modes a load with ok == true of a zero value
// is reported as [custody.MapZeroLoaded], in verify mode with the site that
// stored it; in verify mode Load also checks a value that reaches mutable
// memory for changes since it was stored.
func (m *Map[K, V]) Load(key K) (value V, ok bool) {
	x, ok := m.m.Load(key)
	p, isPlain := x.(*plain[V])
	mode := spine.Mode()
	if isPlain && mode == core.Off {
		return p.v, true // the common off path: one type check, one atomic load
	}
	if !ok {
		return value, false
	}
	if isPlain {
		m.inspect(key, x, mode, zeroLoad, 2)
		return p.v, true
	}
	e := x.(*entry[V])
	if mode != core.Off && e.rec.onLoad(mode) {
		m.inspect(key, x, mode, zeroLoad, 2)
	}
	return e.v, true
}

// Store sets the value for a key.
func (m *Map[K, V]) Store(key K, value V) {
	if mode := spine.Mode(); mode != core.Off {
		m.swap(key, value, mode, 0, 2)
		return
	}
	m.m.Store(key, &plain[V]{v: value})
}

// Clear deletes all the entries, resulting in an empty Map.
func (m *Map[K, V]) Clear() {
	if spine.Mode() == core.Verify {
		// Check the values before they go; not atomic with the Clear, as
		// no check of a concurrent write could be.
		site, stack := spine.Caller(1), spine.Callers(1)
		m.m.Range(func(k, x any) bool {
			if m.mutated(x) {
				key, _ := k.(K)
				emit(custody.MapMutatedAfterStore, key, site, stack, recordOf[V](x), true)
			}
			return true
		})
	}
	m.m.Clear()
}

// LoadOrStore returns the existing value for the key if present. Otherwise,
// it stores and returns the given value. The loaded result is true if the
// value was loaded, false if stored. A loaded zero value is reported as
// [Map.Load] reports it.
func (m *Map[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	mode := spine.Mode()
	x, loaded := m.m.Load(key) // spares the box when the key is present
	if !loaded {
		b := m.box(value, mode, 2)
		if x, loaded = m.m.LoadOrStore(key, b); !loaded {
			if mode != core.Off {
				m.stored(key, b, mode, 2)
			}
			return value, false
		}
	}
	if mode != core.Off && needsLook[V](x) {
		m.inspect(key, x, mode, zeroLoad, 2)
	}
	return valueOf[V](x), true
}

// LoadAndDelete deletes the value for a key, returning the previous value if
// any. The loaded result reports whether the key was present. A loaded zero
// value is reported as [Map.Load] reports it.
func (m *Map[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	mode := spine.Mode()
	x, loaded := m.m.LoadAndDelete(key)
	if !loaded {
		return value, false
	}
	if mode != core.Off && needsLook[V](x) {
		m.inspect(key, x, mode, zeroLoad, 2)
	}
	return valueOf[V](x), true
}

// Delete deletes the value for a key. If the key is not in the map, Delete
// does nothing. Once Delete returns, Load of the key returns ok == false
// until the key is stored again, and a Range that starts afterwards does not
// visit it.
func (m *Map[K, V]) Delete(key K) {
	mode := spine.Mode()
	if mode != core.Verify {
		m.m.Delete(key)
		return
	}
	if x, ok := m.m.LoadAndDelete(key); ok && needsLook[V](x) {
		m.inspect(key, x, mode, 0, 2)
	}
}

// Swap swaps the value for a key and returns the previous value if any. The
// loaded result reports whether the key was present. A loaded zero value is
// reported as [Map.Load] reports it.
func (m *Map[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	mode := spine.Mode()
	if mode == core.Off {
		x, loaded := m.m.Swap(key, &plain[V]{v: value})
		if !loaded {
			return previous, false
		}
		return valueOf[V](x), true
	}
	return m.swap(key, value, mode, zeroLoad, 2)
}

// swap stores value under key in observe or verify mode, inspecting the box
// it replaces for what.
func (m *Map[K, V]) swap(key K, value V, mode core.Mode, what inspection, skip int) (previous V, loaded bool) {
	b := m.box(value, mode, skip+1)
	x, loaded := m.m.Swap(key, b)
	if loaded {
		if needsLook[V](x) {
			m.inspect(key, x, mode, what, skip+1)
		}
		previous = valueOf[V](x)
	}
	m.stored(key, b, mode, skip+1)
	return previous, loaded
}

// CompareAndSwap swaps the old and new values for key if the value stored in
// the map is equal to old, as == compares them. It panics if old is not
// comparable (its type, or for an interface its dynamic type), even when key
// is absent.
func (m *Map[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	mode := spine.Mode()
	m.mustCompare("CompareAndSwap", old)
	var b any
	for {
		x, ok := m.m.Load(key)
		if !ok {
			return false
		}
		if mode == core.Verify && needsLook[V](x) {
			m.inspect(key, x, mode, 0, 2)
		}
		if any(valueOf[V](x)) != any(old) {
			return false
		}
		if b == nil {
			b = m.box(new, mode, 2)
		}
		if m.m.CompareAndSwap(key, x, b) {
			if mode != core.Off {
				m.stored(key, b, mode, 2)
			}
			return true
		}
		// Another operation replaced the box in between; the value in the
		// new one may still equal old.
	}
}

// CompareAndDelete deletes the entry for key if its value is equal to old, as
// == compares them. It panics if old is not comparable (its type, or for an
// interface its dynamic type), even when key is absent.
//
// If there is no current value for key in the map, CompareAndDelete returns
// false (even if old is the zero value).
func (m *Map[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	mode := spine.Mode()
	m.mustCompare("CompareAndDelete", old)
	for {
		x, ok := m.m.Load(key)
		if !ok {
			return false
		}
		if mode == core.Verify && needsLook[V](x) {
			m.inspect(key, x, mode, 0, 2)
		}
		if any(valueOf[V](x)) != any(old) {
			return false
		}
		if m.m.CompareAndDelete(key, x) {
			return true
		}
	}
}

// mustCompare panics unless == can compare old with stored values.
func (m *Map[K, V]) mustCompare(op string, old V) {
	ti := m.typeInfo()
	switch ti.cmp {
	case cmpNever:
		panic("safemap: " + op + " of values of type " + ti.typ.String() + ", which is not comparable")
	case cmpDynamic:
		if v := reflect.ValueOf(&old).Elem(); !v.Comparable() {
			panic("safemap: " + op + " of an old value that is not comparable: " + dynamicType(v))
		}
	}
}

// dynamicType names the type inside v if v is a non-nil interface, or v's.
func dynamicType(v reflect.Value) string {
	if v.Kind() == reflect.Interface && !v.IsNil() {
		return v.Elem().Type().String()
	}
	return v.Type().String()
}

// Update sets the value for key to what fn returns, atomically: fn gets the
// current value and whether the key was present, and returns the new value
// and whether to keep it. If keep is false the key is deleted (or stays
// absent). Update returns the value it stored and true, or the zero value
// and false when fn did not keep one.
//
// Update is the safe replacement for loading a pointer and changing what it
// points to: fn must return a new value (a copy with the change), never
// change old in place, which other goroutines may be reading. In verify mode
// Update reports a value fn changed in place as [custody.MapMutatedAfterStore].
//
// Update works for any V: it compares boxes, not values. Under contention fn
// may be called more than once, each time with the value then current, until
// the value fn saw is still in place when Update stores fn's result; another
// goroutine's successful write is what makes fn run again. fn must therefore
// have no side effects and must not block; it must not write key in m
// itself, or it runs again forever. If fn panics, the map is unchanged and
// the panic goes on. Update panics if fn is nil.
func (m *Map[K, V]) Update(key K, fn func(old V, loaded bool) (v V, keep bool)) (v V, kept bool) {
	if fn == nil {
		panic("safemap: Update with a nil fn")
	}
	mode := spine.Mode()
	for {
		x, loaded := m.m.Load(key)
		var old V
		if loaded {
			old = valueOf[V](x)
		}
		nv, keep := fn(old, loaded)
		if loaded && mode == core.Verify && needsLook[V](x) {
			m.inspect(key, x, mode, 0, 2) // also finds old changed by fn
		}
		switch {
		case !keep && !loaded:
			return v, false
		case !keep:
			if m.m.CompareAndDelete(key, x) {
				return v, false
			}
		case !loaded:
			b := m.box(nv, mode, 2)
			if _, loaded := m.m.LoadOrStore(key, b); !loaded {
				if mode != core.Off {
					m.stored(key, b, mode, 2)
				}
				return nv, true
			}
		default:
			b := m.box(nv, mode, 2)
			if m.m.CompareAndSwap(key, x, b) {
				if mode != core.Off {
					m.stored(key, b, mode, 2)
				}
				return nv, true
			}
		}
	}
}

// Range calls f sequentially for each key and value present in the map. If
// f returns false, range stops the iteration.
//
// Range does not necessarily correspond to any consistent snapshot of the
// Map's contents: no key will be visited more than once, but if the value for
// any key is stored or deleted concurrently (including by f), Range may
// reflect any mapping for that key from any point during the Range call.
// Range does not block other methods on the receiver; even f itself may call
// any method on m. Range panics if f is nil.
//
// Range may be O(N) with the number of elements in the map even if f returns
// false after a constant number of calls.
func (m *Map[K, V]) Range(f func(key K, value V) bool) {
	if f == nil {
		panic("safemap: Range with a nil f")
	}
	if spine.Mode() != core.Verify {
		m.m.Range(func(k, x any) bool {
			key, _ := k.(K) // a nil interface key is K's zero value
			return f(key, valueOf[V](x))
		})
		return
	}
	site, stack := spine.Caller(1), spine.Callers(1)
	m.m.Range(func(k, x any) bool {
		key, _ := k.(K)
		if m.mutated(x) {
			emit(custody.MapMutatedAfterStore, key, site, stack, recordOf[V](x), true)
		}
		return f(key, valueOf[V](x))
	})
}

// Len returns the number of keys in the map by counting them with Range, in
// O(N) time. With no concurrent writers it is exact. With concurrent
// writers it counts every key present for the whole call and no key absent
// for the whole call: the result lies between the number of keys present
// throughout the call and the number of distinct keys present at some time
// during it. Keys stored or deleted during the call may or may not be
// counted, so the result may exceed the number of keys present at any one
// time: a key deleted and another stored meanwhile may both count.
func (m *Map[K, V]) Len() int {
	n := 0
	m.m.Range(func(_, _ any) bool {
		n++
		return true
	})
	return n
}
