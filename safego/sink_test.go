package safego_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
)

// recorder is a Sink that keeps every event, in the mode and with the cancel
// grace it is given.
type recorder struct {
	mode   core.Mode
	grace  time.Duration
	notify chan struct{}

	mu     sync.Mutex
	events []custody.Event
}

// install makes a recorder the active sink until t ends.
func install(t *testing.T, mode core.Mode) *recorder {
	t.Helper()
	r := &recorder{mode: mode, notify: make(chan struct{}, 1)}
	t.Cleanup(sinktest.Set(r))
	return r
}

func (r *recorder) Emit(_ context.Context, e custody.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) Mode() core.Mode { return r.mode }

func (r *recorder) CancelGrace() time.Duration { return r.grace }

// of returns the events about the goroutine named name, in order.
func (r *recorder) of(name string) []custody.Event {
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

// kinds returns the kinds of the events about the goroutine named name.
func (r *recorder) kinds(name string) []custody.Kind {
	var ks []custody.Kind
	for _, e := range r.of(name) {
		ks = append(ks, e.Kind)
	}
	return ks
}

// event returns the first event of kind k about the goroutine named name.
func (r *recorder) event(t *testing.T, name string, k custody.Kind) custody.Event {
	t.Helper()
	for _, e := range r.of(name) {
		if e.Kind == k {
			return e
		}
	}
	require.Failf(t, "event missing", "no %v event for %q; have %v", k, name, r.kinds(name))
	return custody.Event{}
}

// waitFor blocks until the goroutine named name has reported an event of
// kind k. Not for synctest bubbles: use synctest.Wait there.
func (r *recorder) waitFor(t *testing.T, name string, k custody.Kind) custody.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if slices.Contains(r.kinds(name), k) {
			return r.event(t, name, k)
		}
		select {
		case <-r.notify:
		case <-timeout:
			require.Failf(t, "timeout", "no %v event for %q after 10s; have %v", k, name, r.kinds(name))
		}
	}
}
