package custody

import "time"

// An Event is one thing that happened to an owned goroutine, channel or map,
// as a wrapper reports it to the installed sinks. Each field means one thing;
// a field that does not apply to the Kind is zero. Sinks must not modify
// what an Event points to.
type Event struct {
	Kind Kind
	Time time.Time
	// Goroutine is the owned goroutine the event is about, for the
	// Goroutine kinds, or else the identity that performed the operation;
	// nil when it has none.
	Goroutine *Goroutine
	// Site is where it happened: the spawn of a goroutine, or the line that
	// made, sent on, closed or handed off a channel, or stored or loaded a
	// map value.
	Site Site
	// Stack is the stack at Site, in verify mode; for GoroutinePanicked,
	// in any mode, the stack of the panic.
	Stack Stack
	// Object is the channel's name, or the map key formatted with %v.
	Object string
	// Owner is the channel's owner when the operation began.
	Owner *Goroutine
	// NewOwner is the owner a ChanHandoff passed the channel to.
	NewOwner *Goroutine
	// Made is where the channel was made.
	Made Site
	// Earlier is the earlier operation this one refers to: the first close
	// of a channel sent on or closed again after it, or the store of a map
	// value that was zero when loaded or was changed after it was stored.
	// Its Kind is zero for a store of a value that is not zero.
	Earlier *Event
	// Latency is how long after its context was done the goroutine still
	// ran: until the event, for GoroutineIgnoredCancel; until it returned,
	// for GoroutineExited (zero if the context was not done).
	Latency time.Duration
	// Value is the value a goroutine panicked with.
	Value any
	// Err is the goroutine's context's error, once it is done.
	Err error
}
