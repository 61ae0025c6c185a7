package core

import (
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A Mode says how much the wrappers record. The zero Mode is Off.
type Mode uint8

const (
	// Off: no sink is installed; wrapped operations record nothing.
	Off Mode = iota
	// Observe: events with their sites, for production telemetry.
	Observe
	// Verify: events with stacks, value fingerprints and context watches,
	// for tests.
	Verify
)

// String returns "off", "observe" or "verify".
func (m Mode) String() string {
	switch m {
	case Off:
		return "off"
	case Observe:
		return "observe"
	case Verify:
		return "verify"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// An Entry is one installed sink.
type Entry struct {
	// Sink is the custody.Sink; core does not look into it.
	Sink any
	// Mode is Observe or Verify.
	Mode Mode
	// Drain bounds how long uninstalling the entry waits for the owned
	// goroutines started while it was installed to report their exit.
	Drain time.Duration

	removed atomic.Bool
	once    sync.Once
}

// Removed reports whether the entry was uninstalled and drained: events no
// longer reach it.
func (e *Entry) Removed() bool { return e.removed.Load() }

// A State is the set of sinks installed at one time, in install order,
// each sink once. It does not change, but for the count of owned goroutines
// pinned to it.
type State struct {
	Mode    Mode
	Entries []*Entry
	live    atomic.Int64
}

// Pin counts an owned goroutine that reports to s until it calls Unpin.
func (s *State) Pin() { s.live.Add(1) }

// Unpin ends what Pin began, after the goroutine's last event.
func (s *State) Unpin() { s.live.Add(-1) }

var reg struct {
	mu      sync.Mutex
	entries []*Entry // installed, in install order
	old     []*State // states replaced while goroutines were pinned to them
	cur     atomic.Pointer[State]
}

// Load returns the current state, or nil when no sink is installed. It is
// one atomic load.
func Load() *State { return reg.cur.Load() }

// Install adds e to the installed sinks and returns a function that removes
// it: once, whatever the order of other installs and uninstalls, and doing
// nothing when called again. The uninstall waits up to e.Drain for the
// owned goroutines started while e was installed to report their exit;
// later events do not reach e.
func Install(e *Entry) (uninstall func()) {
	reg.mu.Lock()
	reg.entries = append(reg.entries, e)
	publish()
	reg.mu.Unlock()
	return func() { e.once.Do(func() { remove(e) }) }
}

func remove(e *Entry) {
	reg.mu.Lock()
	reg.entries = slices.DeleteFunc(reg.entries, func(x *Entry) bool { return x == e })
	publish()
	var pinned []*State
	for _, s := range reg.old {
		if slices.Contains(s.Entries, e) {
			pinned = append(pinned, s)
		}
	}
	reg.mu.Unlock()
	deadline := time.Now().Add(e.Drain)
	backoff := 20 * time.Microsecond
	for _, s := range pinned {
		for s.live.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(backoff)
			backoff = min(2*backoff, 5*time.Millisecond)
		}
	}
	e.removed.Store(true)
}

// publish makes the current state from reg.entries. reg.mu must be held.
func publish() {
	var next *State
	for _, e := range reg.entries {
		if next == nil {
			next = &State{}
		}
		next.Mode = max(next.Mode, e.Mode)
		if !holds(next.Entries, e.Sink) { // a sink installed twice gets each event once
			next.Entries = append(next.Entries, e)
		}
	}
	if prev := reg.cur.Swap(next); prev != nil {
		reg.old = append(reg.old, prev)
	}
	// States no goroutine is pinned to can be forgotten: none is pinned to
	// a state after it stopped being current, but for one that loaded it
	// just before, which finds its entries drained at worst.
	reg.old = slices.DeleteFunc(reg.old, func(s *State) bool { return s.live.Load() == 0 })
}

// holds reports whether es holds an entry for sink, comparing sinks with ==
// where their dynamic type allows it.
func holds(es []*Entry, sink any) bool {
	if !reflect.ValueOf(sink).Comparable() {
		return false
	}
	return slices.ContainsFunc(es, func(e *Entry) bool { return e.Sink == sink })
}
