// Package sinktest holds a [custody.Sink] that records events, for the
// tests of custody's packages.
package sinktest

import (
	"context"
	"sync"
	"testing"

	"github.com/custody-go/custody"
)

// A Recorder is a Sink that keeps every event it receives. Its zero value
// records in observe mode. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	mode   custody.Mode
	events []custody.Event
}

// New returns a Recorder that asks for mode.
func New(mode custody.Mode) *Recorder { return &Recorder{mode: mode} }

// Install makes a new Recorder of mode the active sink until t ends.
func Install(t testing.TB, mode custody.Mode) *Recorder {
	r := New(mode)
	t.Cleanup(custody.SetSink(r))
	return r
}

// Emit records e.
func (r *Recorder) Emit(_ context.Context, e custody.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Mode returns the mode the Recorder was made with.
func (r *Recorder) Mode() custody.Mode { return r.mode }

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
