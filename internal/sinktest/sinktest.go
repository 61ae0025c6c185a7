// Package sinktest holds a [custody.Sink] that records events, for the
// tests of custody's packages.
package sinktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Recorder is a Sink that keeps every event it receives. It is safe for
// concurrent use.
type Recorder struct {
	// Grace is the cancel grace the Recorder chooses; zero leaves custody's
	// default. Set it before installing the Recorder.
	Grace time.Duration

	mu     sync.Mutex
	mode   core.Mode
	events []custody.Event
	notify chan struct{} // [buffered: 1] [owned by: Recorder] [closed by: never] signalled after each event; nil in a zero Recorder
}

// New returns a Recorder for mode, which [Set] installs it in.
func New(mode core.Mode) *Recorder {
	return &Recorder{mode: mode, notify: make(chan struct{}, 1)}
}

// CancelGrace returns r.Grace.
func (r *Recorder) CancelGrace() time.Duration { return r.Grace }

// Mode returns the mode the Recorder was made for.
func (r *Recorder) Mode() core.Mode { return r.mode }

// Install installs a new Recorder in mode until t ends.
func Install(t testing.TB, mode core.Mode) *Recorder {
	r := New(mode)
	t.Cleanup(Set(r))
	return r
}

// Emit records e.
func (r *Recorder) Emit(_ context.Context, e custody.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Of returns the events about the goroutine named name, in order.
func (r *Recorder) Of(name string) []custody.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []custody.Event
	for _, e := range r.events {
		if e.Goroutine != nil && e.Goroutine.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// WaitFor returns the first event of kind k about the goroutine named name,
// waiting up to ten seconds for it, then failing t. Not for synctest
// bubbles, where synctest.Wait is the way to wait.
func (r *Recorder) WaitFor(t testing.TB, name string, k custody.Kind) custody.Event {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		for _, e := range r.Of(name) {
			if e.Kind == k {
				return e
			}
		}
		select {
		case <-r.notify:
		case <-timeout.C:
			t.Fatalf("no %v event for %q after 10s; have %v", k, name, Kinds(r.Of(name)))
		}
	}
}

// Events returns the events recorded so far.
func (r *Recorder) Events() []custody.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]custody.Event(nil), r.events...)
}

// Take returns the events recorded since the last Take and forgets them.
func (r *Recorder) Take() []custody.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	es := r.events
	r.events = nil
	return es
}

// Kinds returns the kinds of es, in order; an empty slice, not nil, for no
// events.
func Kinds(es []custody.Event) []custody.Kind {
	ks := make([]custody.Kind, 0, len(es))
	for _, e := range es {
		ks = append(ks, e.Kind)
	}
	return ks
}

// Set installs s until the returned function is called: in the mode its
// Mode method returns, if it has one, else in observe mode. Tests use it
// for sinks of their own. Set(nil) installs nothing: custody stays off
// unless another sink is installed.
func Set(s custody.Sink) (uninstall func()) {
	if s == nil {
		return func() {}
	}
	mode := core.Observe
	if m, ok := s.(interface{ Mode() core.Mode }); ok && m.Mode() > core.Observe {
		mode = m.Mode()
	}
	return spine.Install(s, mode, core.DefaultDrain)
}
