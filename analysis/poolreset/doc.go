// Package poolreset defines an Analyzer that reports objects put back into
// a sync.Pool with their reference fields still set.
//
// # Analyzer poolreset
//
// poolreset: report sync.Pool.Put of an object whose reference fields were
// not cleared
//
// An object in a sync.Pool is handed to the next Get, in any goroutine.
// Whatever its pointer, slice, map, channel, function and interface fields
// still reference stays alive until then, and the next user sees it: a
// request's body in another request's buffer, a connection kept from being
// collected.
//
// The analyzer reports p.Put(x) on a sync.Pool when x is a variable of the
// function (not a parameter or a receiver of it or of a function around it:
// its caller may have cleared it) that points to a struct with reference
// fields, and before the Put the function neither
// calls a Reset-like method on it (Reset, reset, Clear, Release, Free,
// ...), nor passes it to a reset-like function, nor assigns *x, nor clears
// any of its reference fields (x.f = nil, x.f = x.f[:0], x.f = T{},
// clear(x.f), x.f.Reset()): a function that clears some fields and not
// others may mean the others to stay (a writer bound to the object's own
// buffer), so it is not reported. For a deferred Put, what counts comes after the defer
// statement. For a type of another package, only a Reset-like method
// counts, and a type without one is not reported.
//
// Some fields stay set on purpose and do not count: those the pool's New
// function sets (the resource the pool keeps, such as the codec a wrapper
// holds), and slices of elements without references that the package only
// fills from themselves or with make (x.f = append(x.f[:0], ...): the
// object's own copies, kept for their capacity). Nor is a Put reported in
// a function literal that does nothing else (a release function: its
// caller clears x, or not), or of a bytes.Buffer or strings.Builder that
// the function reset after Get (it keeps its own array, as Reset does).
//
// Test files are not checked.
//
// Fix: clear the fields (or call the type's Reset) right before Put.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore poolreset REASON
package poolreset
