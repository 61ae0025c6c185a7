// Package mapcheck lists the safemap maps that hold fingerprinted values,
// so that the oracle can look for values mutated after their last
// operation.
package mapcheck

import (
	"sync"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Map is a listed map, held weakly.
type Map interface {
	// Check fingerprints the map's values again and reports each one that
	// changed in place since it was stored, and was not reported yet, as
	// an event at site. It returns how many it reported, and live false
	// once the map is gone.
	Check(site custody.Site, stack custody.Stack) (n int, live bool)
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

// CheckAll checks every listed map that is still alive, reporting at its
// caller's site, and returns the number of mutations reported. It does
// nothing unless custody is in verify mode: observe mode never reads
// stored values. It reads the values' memory, so a value mutated while it
// runs is a data race, which the race detector may report.
func CheckAll() int {
	if spine.Mode() != core.Verify {
		return 0
	}
	site, stack := spine.Caller(1), spine.Callers(1)
	all.mu.Lock()
	all.sweep()
	maps := append([]Map(nil), all.maps...)
	all.mu.Unlock()
	n := 0
	for _, m := range maps {
		c, _ := m.Check(site, stack)
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
