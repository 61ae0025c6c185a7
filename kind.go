package custody

import "strconv"

// Kind says what happened in an [Event]. Its names, as String returns them,
// are stable: sinks use them as attribute values.
type Kind uint8

// The kinds of event.
const (
	// GoroutineSpawned: an owned goroutine is about to start.
	GoroutineSpawned Kind = iota + 1
	// GoroutineContextDone: its context was done while it ran.
	GoroutineContextDone
	// GoroutineExited: it returned.
	GoroutineExited
	// GoroutinePanicked: it panicked.
	GoroutinePanicked
	// GoroutineIgnoredCancel: it ran on a grace period past its context.
	GoroutineIgnoredCancel
	// GoroutineLeaked: it outlived its test (found by the oracle only).
	GoroutineLeaked

	// ChanMade: an owned channel was made.
	ChanMade
	// ChanClosed: an owned channel was closed.
	ChanClosed
	// ChanSendAfterClose: a send found it closed.
	ChanSendAfterClose
	// ChanDoubleClose: it was closed again.
	ChanDoubleClose
	// ChanCloseByNonOwner: a goroutine that does not own it closed it.
	ChanCloseByNonOwner
	// ChanHandoff: it was passed to a new owner.
	ChanHandoff

	// MapZeroStored: a zero value was stored in a safemap.Map.
	MapZeroStored
	// MapZeroLoaded: a load returned ok == true and a zero value.
	MapZeroLoaded
	// MapMutatedAfterStore: a stored value was changed in place.
	MapMutatedAfterStore

	kindEnd
)

var kindNames = [kindEnd]string{
	0:                      "unknown",
	GoroutineSpawned:       "goroutine.spawned",
	GoroutineContextDone:   "goroutine.context_done",
	GoroutineExited:        "goroutine.exited",
	GoroutinePanicked:      "goroutine.panicked",
	GoroutineIgnoredCancel: "goroutine.ignored_cancel",
	GoroutineLeaked:        "goroutine.leaked",
	ChanMade:               "chan.made",
	ChanClosed:             "chan.closed",
	ChanSendAfterClose:     "chan.send_after_close",
	ChanDoubleClose:        "chan.double_close",
	ChanCloseByNonOwner:    "chan.close_by_non_owner",
	ChanHandoff:            "chan.handoff",
	MapZeroStored:          "map.zero_stored",
	MapZeroLoaded:          "map.zero_loaded",
	MapMutatedAfterStore:   "map.mutated_after_store",
}

// String returns the kind's name, such as "chan.double_close", or
// "Kind(N)" for a value that is not a kind.
func (k Kind) String() string {
	if k < kindEnd {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
