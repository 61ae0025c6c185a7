package safemap

import (
	"weak"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/mapcheck"
)

// weakMap is a weak pointer to a listed map.
type weakMap[K comparable, V any] weak.Pointer[Map[K, V]]

func (w weakMap[K, V]) Check(site custody.Site, stack custody.Stack) (int, bool) {
	m := weak.Pointer[Map[K, V]](w).Value()
	if m == nil {
		return 0, false
	}
	return m.checkAll(site, stack), true
}

func (w weakMap[K, V]) Alive() bool { return weak.Pointer[Map[K, V]](w).Value() != nil }

// list lists m for the oracle's mapcheck.CheckAll, once.
func (m *Map[K, V]) list() {
	if m.listed.CompareAndSwap(false, true) {
		mapcheck.Add(weakMap[K, V](weak.Make(m)))
	}
}

// checkAll checks every entry of m and reports the mutated ones at site.
func (m *Map[K, V]) checkAll(site custody.Site, stack custody.Stack) int {
	n := 0
	m.m.Range(func(k, x any) bool {
		if m.mutated(x) {
			key, _ := k.(K)
			emit(custody.MapMutatedAfterStore, key, site, stack, recordOf[V](x), true)
			n++
		}
		return true
	})
	return n
}
