// Package sinktest holds a [custody.Sink] that records events, for the
// tests of custody's packages.
package sinktest

import (
	"context"
	"sync"
	"testing"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/spine"
)

// A Recorder is a Sink that keeps every event it receives. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	mode   core.Mode
	events []custody.Event
}

// New returns a Recorder for mode, which [Set] installs it in.
func New(mode core.Mode) *Recorder { return &Recorder{mode: mode} }

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
	defer r.mu.Unlock()
	r.events = append(r.events, e)
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
