package core

import (
	"sync/atomic"
	"time"
)

// The pprof labels an owned goroutine and a test's goroutine carry, so that
// goroutine profiles map back to their records. Raw goroutines started by a
// labelled goroutine inherit them.
const (
	LabelID   = "custody.id"
	LabelName = "custody.name"
)

// DefaultGrace is how long an owned goroutine may run on after its context
// is done before it counts as ignoring cancellation, when no installed sink
// chooses.
const DefaultGrace = time.Second

// RecordKey is the context key under which a record travels.
type RecordKey struct{}

var lastID atomic.Uint64

// NextID returns a record ID that was never returned before.
func NextID() uint64 { return lastID.Add(1) }

// DefaultDrain bounds how long an uninstall waits for the owned goroutines
// started while its sink was installed to report their exit.
const DefaultDrain = 100 * time.Millisecond
