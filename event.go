package custody

import (
	"time"
)

// An Event is one thing that happened to an owned goroutine, channel or map,
// as a wrapper reports it to the active [Sink]. Which fields are set depends
// on the Kind (see each Kind's comment); fields that do not apply are zero.
// Sinks must not modify an Event's Stack.
type Event struct {
	Kind Kind
	Time time.Time
	// Site is where the operation happened: the spawn, the close, the send,
	// the load.
	Site Site
	// Goroutine is the record of the goroutine the event is about (for
	// goroutine kinds) or of the one that performed the operation. It is nil
	// for an operation done outside any owned goroutine or identity.
	Goroutine *Goroutine
	// Object names the channel, or the map key (formatted with %v), involved.
	Object string
	// Owner is the owner of the channel involved.
	Owner *Goroutine
	// Made is where the channel or map value involved was made or stored.
	Made Site
	// Other, OtherGoroutine and OtherTime describe the earlier operation the
	// event refers to: the first close, the store of a zero, the new owner of
	// a handoff.
	Other          Site
	OtherGoroutine *Goroutine
	OtherTime      time.Time
	// Latency is the time from a goroutine's context being done to the
	// event.
	Latency time.Duration
	// Value is the panic value of a GoroutinePanicked event.
	Value any
	// Err is the context's error for goroutine kinds, or the error an
	// operation returned.
	Err error
	// Stack is the stack of the operation, in verify mode, and of the panic
	// for GoroutinePanicked.
	Stack Stack
}
