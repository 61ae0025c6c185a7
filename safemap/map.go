package safemap

import (
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// Map is a [sync.Map] with typed keys and values that remembers what was
// stored. Like sync.Map it is specialized: most code should use a plain map
// with a [sync.Mutex]. The zero Map is empty and ready for use; a Map must
// not be copied after first use. It is safe for concurrent use and makes
// sync.Map's memory-model promises. A key whose dynamic type is not
// comparable makes an operation panic, as with sync.Map. A stored value is
// shared with every goroutine that loads it: replace it ([Map.Update]),
// never change in place what it points to.
type Map[K comparable, V any] struct {
	m sync.Map // K -> V, *plain[V] or *entry[V]: see verify.go

	info   atomic.Pointer[typeInfo] // V's, cached
	zeroOK atomic.Bool              // AllowZero was called
	listed atomic.Bool              // in mapcheck's list
}

// AllowZero says that zero values are legitimate in m, as in a counter that
// may hold 0: loading or storing one is not reported. Call it where m is
// made, before m is used; it cannot be undone.
func (m *Map[K, V]) AllowZero() { m.zeroOK.Store(true) }

// Load returns the value stored for key and whether one was; ok does not
// say that value is useful, as a zero value may have been stored. In
// observe and verify modes a zero value loaded with ok == true is reported
// as [custody.MapZeroLoaded].
func (m *Map[K, V]) Load(key K) (value V, ok bool) {
	x, ok := m.m.Load(key)
	if mode := spine.Mode(); mode != core.Off && needsLook[V](x) { // not for a bare value, nor for none
		m.inspect(key, x, mode, zeroLoad, 2)
	}
	return valueOf[V](x), ok
}

// Store sets the value for key.
func (m *Map[K, V]) Store(key K, value V) {
	if mode := spine.Mode(); mode != core.Off {
		m.swap(key, value, mode, 0, 2)
		return
	}
	m.m.Store(key, m.box(value, core.Off, 0))
}

// Clear deletes all the entries.
func (m *Map[K, V]) Clear() {
	if spine.Mode() == core.Verify {
		// Check the values before they go; not atomic with the Clear, as
		// no check of a concurrent write could be.
		m.checkAll(spine.Caller(1), spine.Callers(1), nil)
	}
	m.m.Clear()
}

// LoadOrStore returns the value stored for key and true if there is one;
// otherwise it stores value and returns it and false. A loaded zero value
// is reported as [Map.Load] reports it.
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

// LoadAndDelete deletes the value for key, returning it and whether there
// was one. A loaded zero value is reported as [Map.Load] reports it.
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

// Delete deletes the value for key: once it returns, Load of key reports
// ok == false until key is stored again.
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

// Swap stores value for key and returns the previous value and whether
// there was one. A loaded zero value is reported as [Map.Load] reports it.
func (m *Map[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	mode := spine.Mode()
	if mode == core.Off {
		x, loaded := m.m.Swap(key, m.box(value, core.Off, 0))
		return valueOf[V](x), loaded
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

// CompareAndSwap stores new for key if its value == old, and reports
// whether it did. It panics if old is not comparable, even when key is
// absent.
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

// CompareAndDelete deletes key if its value == old, and reports whether it
// did (not if key is absent, even for a zero old). It panics if old is not
// comparable, even when key is absent.
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
		panic("safemap: " + op + " called on a map of " + ti.typ.String() + " values, which are not comparable")
	case cmpDynamic:
		if v := reflect.ValueOf(&old).Elem(); !v.Comparable() {
			panic("safemap: " + op + " called with an old value that is not comparable (" + dynamicType(v) + ")")
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

// Update atomically sets the value for key to what fn returns given the
// current value, or deletes key if fn returns keep false, and returns what
// it stored and whether it kept it. fn must return a new value, never
// change old in place; it may run more than once under contention, so it
// must have no side effects, not block and not write key in m. If fn
// panics, m is unchanged. Update panics if fn is nil.
func (m *Map[K, V]) Update(key K, fn func(old V, loaded bool) (v V, keep bool)) (v V, kept bool) {
	if fn == nil {
		panic("safemap: Update called with a nil function")
	}
	mode := spine.Mode()
	for {
		x, loaded := m.m.Load(key)
		old := valueOf[V](x)
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

// Range calls f for each key and value in the map until f returns false.
// As with sync.Map, it is no consistent snapshot, but visits no key twice,
// and f may call any method of m. Range panics if f is nil.
func (m *Map[K, V]) Range(f func(key K, value V) bool) {
	if f == nil {
		panic("safemap: Range called with a nil function")
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
		m.checkOne(key, x, site, stack, nil)
		return f(key, valueOf[V](x))
	})
}

// Len counts the keys in O(N) time: exactly with no concurrent writers,
// else between the keys present throughout the call and those present at
// some time during it.
func (m *Map[K, V]) Len() int {
	n := 0
	m.m.Range(func(_, _ any) bool {
		n++
		return true
	})
	return n
}
