package safemap

import (
	"sync"
	"weak"

	"github.com/custody-go/custody"
)

// CheckAll fingerprints again every value that a live [Map] stored in
// [custody.Verify] mode and that reaches mutable memory, and reports each one
// that changed in place since it was stored, and was not reported yet, as a
// [custody.MapMutatedAfterStore] event to the active sink. Event.Site is the
// call of CheckAll, Event.Other the store. It returns the number of events
// reported.
//
// The oracle calls CheckAll at the end of a test, to find values mutated
// after the last operation on their key. Maps are listed for CheckAll
// when they first store such a value in verify mode, through weak pointers:
// the list keeps no map alive, and a process that never runs in verify mode
// has an empty list. Values stored while custody was off are never
// fingerprinted, so never checked.
//
// Unless custody is in verify mode CheckAll does nothing and returns 0:
// with custody off there is no sink to report to, and observe mode never
// reads stored values; what it would find stays unreported for a later
// call in verify mode. CheckAll is safe to call concurrently with any
// operation on any map. It reads the values' memory, so a value being
// mutated while CheckAll runs is a data race, which the race detector may
// report.
func CheckAll() int {
	if custody.Active() != custody.Verify {
		return 0
	}
	site, stack := custody.Caller(1), custody.Callers(1)
	n := 0
	for _, l := range maps.snapshot() {
		c, _ := l.check(site, stack)
		n += c
	}
	return n
}

// A listedMap is a map in the CheckAll list.
type listedMap interface {
	// check checks every entry and reports the mutated ones; live is false
	// once the map is gone.
	check(site custody.Site, stack custody.Stack) (n int, live bool)
	alive() bool
}

// weakMap is a weak pointer to a listed map.
type weakMap[K comparable, V any] weak.Pointer[Map[K, V]]

func (w weakMap[K, V]) check(site custody.Site, stack custody.Stack) (int, bool) {
	m := weak.Pointer[Map[K, V]](w).Value()
	if m == nil {
		return 0, false
	}
	return m.checkAll(site, stack), true
}

func (w weakMap[K, V]) alive() bool { return weak.Pointer[Map[K, V]](w).Value() != nil }

// mapList is the list of maps CheckAll walks.
type mapList struct {
	mu   sync.Mutex
	maps []listedMap
	// live is the number of maps alive at the last sweep; add sweeps again
	// when the list has doubled since, so that dead maps cost amortized
	// constant time.
	live int
}

// maps holds the maps that stored a fingerprinted value in verify mode.
var maps mapList

func (l *mapList) add(m listedMap) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maps = append(l.maps, m)
	if len(l.maps) > 2*max(l.live, 16) {
		l.sweep()
	}
}

// snapshot drops dead maps and returns the live ones.
func (l *mapList) snapshot() []listedMap {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep()
	return append([]listedMap(nil), l.maps...)
}

// sweep drops dead maps; l.mu is held.
func (l *mapList) sweep() {
	live := l.maps[:0]
	for _, m := range l.maps {
		if m.alive() {
			live = append(live, m)
		}
	}
	clear(l.maps[len(live):])
	l.maps, l.live = live, len(live)
}

// list adds m to the CheckAll list once.
func (m *Map[K, V]) list() {
	if m.listed.CompareAndSwap(false, true) {
		maps.add(weakMap[K, V](weak.Make(m)))
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
