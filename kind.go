package custody

import "strconv"

// Kind says what happened in an [Event]. Its names, as String returns them,
// are stable: sinks use them as attribute values.
type Kind uint8

// The kinds of event.
const (
	GoroutineSpawned       Kind = iota + 1 // an owned goroutine is about to start
	GoroutineContextDone                   // its context was done while it ran
	GoroutineExited                        // it returned
	GoroutinePanicked                      // it panicked
	GoroutineIgnoredCancel                 // it ran on a grace period past its context
	GoroutineLeaked                        // it outlived its test (found by the oracle only)

	ChanMade            // an owned channel was made
	ChanClosed          // an owned channel was closed
	ChanSendAfterClose  // a send found it closed
	ChanDoubleClose     // it was closed again
	ChanCloseByNonOwner // a goroutine that does not own it closed it
	ChanHandoff         // it was passed to a new owner

	MapZeroStored        // a zero value was stored in a safemap.Map
	MapZeroLoaded        // a load returned ok == true and a zero value
	MapMutatedAfterStore // a stored value was changed in place

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
