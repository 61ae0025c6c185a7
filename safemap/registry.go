package safemap

import (
	"weak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/mapcheck"
)

// weakMap is a weak pointer to a listed map.
type weakMap[K comparable, V any] weak.Pointer[Map[K, V]]

func (w weakMap[K, V]) Check(site custody.Site, stack custody.Stack, storedBy func(id uint64) bool) (int, bool) {
	m := weak.Pointer[Map[K, V]](w).Value()
	if m == nil {
		return 0, false
	}
	return m.checkAll(site, stack, storedBy), true
}

func (w weakMap[K, V]) Alive() bool { return weak.Pointer[Map[K, V]](w).Value() != nil }

// list lists m for mapcheck, once.
func (m *Map[K, V]) list() {
	if m.listed.CompareAndSwap(false, true) {
		mapcheck.Add(weakMap[K, V](weak.Make(m)))
	}
}

// checkAll checks the entries of m that storedBy accepts (all for nil) and
// reports the mutated ones at site. It returns how many it reported.
func (m *Map[K, V]) checkAll(site custody.Site, stack custody.Stack, storedBy func(id uint64) bool) int {
	n := 0
	m.m.Range(func(k, x any) bool {
		key, _ := k.(K) // a nil interface key is K's zero value
		if m.checkOne(key, x, site, stack, storedBy) {
			n++
		}
		return true
	})
	return n
}

// checkOne reports x, under key, at site if storedBy accepts its storer
// (nil accepts all) and it was mutated since it was stored, and reports
// whether it did.
func (m *Map[K, V]) checkOne(key K, x any, site custody.Site, stack custody.Stack, storedBy func(id uint64) bool) bool {
	e, ok := x.(*entry[V])
	if !ok || storedBy != nil && !storedBy(e.rec.storer) || !m.mutated(e) {
		return false
	}
	emit(custody.MapMutatedAfterStore, key, site, stack, e.rec, true)
	return true
}
