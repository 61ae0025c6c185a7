// Package mapcheck lists the safemap maps that hold fingerprinted values,
// so that the oracle can look for values mutated after their last
// operation.
//
// In verify mode safemap records, with each fingerprinted value, the
// custody.id pprof label of the goroutine that stored it: for a checked
// test's goroutines, the ID of the test's identity or of an owned goroutine
// under it (safemap's operations have no context; the labels are read with
// internal/labels). A MapMutatedAfterStore event names that identity in
// Earlier.Goroutine, a stand-in record with only ID and Name (from the
// custody.name label), whichever goroutine's operation found the change.
//
// The oracle uses two calls:
//   - CheckStoredBy(storedBy) at a test's verdict, with a storedBy that
//     accepts the IDs of the test's identities (its root and the owned
//     goroutines under it, live or exited): values the test stored and
//     then changed in place, with no later operation on their key, are
//     reported then, emitted by the verdict's goroutine, so that they reach
//     the test that stored them even while other tests run (t.Parallel).
//   - CheckAll, for a package verdict (VerifyTestMain): every value.
//
// Each stored value is reported at most once, by whichever of these or of
// the map's own operations finds the change first. An event found by
// another test's operation on the key still names the storer in
// Earlier.Goroutine: the oracle should file it under the storer's test.
package mapcheck

import (
	"sync"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Map is a listed map, held weakly.
type Map interface {
	// Check fingerprints again the map's values whose storer's ID storedBy
	// accepts (every value for nil) and reports each one that changed in
	// place since it was stored, and was not reported yet, as an event at
	// site. It returns how many it reported, and live false once the map
	// is gone.
	Check(site custody.Site, stack custody.Stack, storedBy func(id uint64) bool) (n int, live bool)
	// Alive reports whether the map is still reachable.
	Alive() bool
}

type mapList struct {
	mu   sync.Mutex
	maps []Map
	// live is the number of maps alive at the last sweep; Add sweeps again
	// when the list has doubled since, so that dead maps cost amortized
	// constant time.
	live int
}

var all mapList

// Add lists m. A map is listed when it first stores a fingerprinted value.
func Add(m Map) {
	all.mu.Lock()
	defer all.mu.Unlock()
	all.maps = append(all.maps, m)
	if len(all.maps) > 2*max(all.live, 16) {
		all.sweep()
	}
}

// CheckAll checks every value of every listed map that is still alive,
// reporting at its caller's site, and returns the number of mutations
// reported. It does nothing unless custody is in verify mode: observe mode
// never reads stored values. It reads the values' memory, so a value
// mutated while it runs is a data race, which the race detector may report.
func CheckAll() int { return check(nil) }

// CheckStoredBy is CheckAll for the values whose storing goroutine had a
// custody.id label that storedBy accepts; 0 stands for a goroutine without
// one. It panics if storedBy is nil.
func CheckStoredBy(storedBy func(id uint64) bool) int {
	if storedBy == nil {
		panic("mapcheck: CheckStoredBy called with a nil function")
	}
	return check(storedBy)
}

// check checks the values storedBy accepts, reporting at the site two
// frames above it.
func check(storedBy func(id uint64) bool) int {
	if spine.Mode() != core.Verify {
		return 0
	}
	site, stack := spine.Caller(2), spine.Callers(2)
	all.mu.Lock()
	all.sweep()
	maps := append([]Map(nil), all.maps...)
	all.mu.Unlock()
	n := 0
	for _, m := range maps {
		c, _ := m.Check(site, stack, storedBy)
		n += c
	}
	return n
}

// sweep drops dead maps; all.mu is held.
func (l *mapList) sweep() {
	live := l.maps[:0]
	for _, m := range l.maps {
		if m.Alive() {
			live = append(live, m)
		}
	}
	clear(l.maps[len(live):])
	l.maps, l.live = live, len(live)
}

// Listed sweeps the list and returns how many listed maps f accepts; for
// tests.
func Listed(f func(Map) bool) int {
	all.mu.Lock()
	defer all.mu.Unlock()
	all.sweep()
	n := 0
	for _, m := range all.maps {
		if f(m) {
			n++
		}
	}
	return n
}
