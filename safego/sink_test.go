package safego_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-go/custody"
	"github.com/custody-go/custody/internal/core"
	"github.com/custody-go/custody/internal/sinktest"
)

// recorder is the sink the tests install: internal/sinktest's.
type recorder = sinktest.Recorder

// install installs a new recorder in mode until t ends.
func install(t *testing.T, mode core.Mode) *recorder { return sinktest.Install(t, mode) }

// newRecorder returns a recorder for mode with the cancel grace grace.
func newRecorder(mode core.Mode, grace time.Duration) *recorder {
	r := sinktest.New(mode)
	r.Grace = grace
	return r
}

// kinds returns the kinds of the events about the goroutine named name.
func kinds(r *recorder, name string) []custody.Kind { return sinktest.Kinds(r.Of(name)) }

// event returns the first event of kind k about the goroutine named name.
func event(t *testing.T, r *recorder, name string, k custody.Kind) custody.Event {
	t.Helper()
	for _, e := range r.Of(name) {
		if e.Kind == k {
			return e
		}
	}
	require.Failf(t, "event missing", "no %v event for %q; have %v", k, name, kinds(r, name))
	return custody.Event{}
}
