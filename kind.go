package custody

import "strconv"

// Kind says what happened in an [Event].
type Kind uint8

// The kinds of event. Their names, as String returns them, are stable and are
// used as attribute values by the sinks.
const (
	KindUnknown Kind = iota

	// GoroutineSpawned: an owned goroutine was started. Event.Goroutine is its
	// record, Event.Site the spawn site.
	GoroutineSpawned
	// GoroutineContextDone: the context of an owned goroutine was done while
	// the goroutine was still running. Event.Err is the context's error.
	GoroutineContextDone
	// GoroutineExited: an owned goroutine returned. Event.Latency is the time
	// from its context being done to its exit, or zero if the context was not
	// done.
	GoroutineExited
	// GoroutinePanicked: an owned goroutine panicked. Event.Value is the panic
	// value, Event.Stack where it happened.
	GoroutinePanicked
	// GoroutineIgnoredCancel: an owned goroutine was still running
	// Event.Latency after its context was done.
	GoroutineIgnoredCancel

	// ChanMade: an owned channel was made. Event.Owner is its owner.
	ChanMade
	// ChanClosed: an owned channel was closed by Event.Goroutine.
	ChanClosed
	// ChanSendAfterClose: a send on an owned channel found it closed.
	// Event.Other and Event.OtherGoroutine say who closed it, Event.OtherTime
	// when.
	ChanSendAfterClose
	// ChanDoubleClose: an owned channel was closed a second time. Event.Other
	// and Event.OtherGoroutine say who closed it first.
	ChanDoubleClose
	// ChanCloseByNonOwner: an owned channel was closed by a goroutine that
	// does not own it. Event.Owner is the owner.
	ChanCloseByNonOwner
	// ChanHandoff: the owner of a channel passed it on. Event.Owner is the
	// previous owner, Event.OtherGoroutine the new one.
	ChanHandoff

	// MapZeroStored: a zero value was stored in a safemap.Map under the key
	// Event.Object.
	MapZeroStored
	// MapZeroLoaded: a load from a safemap.Map returned ok == true with a zero
	// value. Event.Other is where the zero was stored, when known.
	MapZeroLoaded
	// MapMutatedAfterStore: a value stored in a safemap.Map was changed in
	// place after it was stored. Event.Other is the store site.
	MapMutatedAfterStore

	// GoroutineLeaked: a goroutine outlived the test that started it. Only
	// the oracle reports it, in its verdicts; wrappers never emit it.
	GoroutineLeaked

	kindCount
)

var kindNames = [kindCount]string{
	KindUnknown:            "unknown",
	GoroutineSpawned:       "goroutine.spawned",
	GoroutineContextDone:   "goroutine.context_done",
	GoroutineExited:        "goroutine.exited",
	GoroutinePanicked:      "goroutine.panicked",
	GoroutineIgnoredCancel: "goroutine.ignored_cancel",
	ChanMade:               "chan.made",
	ChanClosed:             "chan.closed",
	ChanSendAfterClose:     "chan.send_after_close",
	ChanDoubleClose:        "chan.double_close",
	ChanCloseByNonOwner:    "chan.close_by_non_owner",
	ChanHandoff:            "chan.handoff",
	MapZeroStored:          "map.zero_stored",
	MapZeroLoaded:          "map.zero_loaded",
	MapMutatedAfterStore:   "map.mutated_after_store",
	GoroutineLeaked:        "goroutine.leaked",
}

// String returns the kind's stable name, such as "chan.double_close".
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Kinds returns every defined kind except KindUnknown, in order.
func Kinds() []Kind {
	ks := make([]Kind, 0, kindCount-1)
	for k := KindUnknown + 1; k < kindCount; k++ {
		ks = append(ks, k)
	}
	return ks
}
