// Package safemap provides [Map], a typed [sync.Map] that remembers who
// stored what, to catch the two ways a concurrent map goes wrong quietly:
//
//   - a load that returns ok == true with a zero value. ok says the key is
//     present, not that its value is useful; a cache that stored a zero and
//     a fallback path that trusted ok wrote zero values onward. In observe
//     and verify modes such a load is a [custody.MapZeroLoaded] event naming
//     the key and the load site, and in verify mode the site that stored the
//     zero (itself a [custody.MapZeroStored] event).
//   - a stored value changed in place afterwards: a pointer returned by
//     LoadOrStore and mutated by several goroutines. In verify mode every
//     value that reaches mutable memory is fingerprinted when stored and
//     checked on each later operation on its key and by [CheckAll]; a change
//     is a [custody.MapMutatedAfterStore] event naming the key, the store
//     site and the site that noticed. The check does not depend on the
//     interleaving, so it catches the change even when the race detector
//     misses it. [Map.Update] is the safe way to change a value.
//
// # Modes
//
// With custody off (no sink installed) a Map is a sync.Map plus one atomic
// load per operation. In observe mode (production telemetry) it reports
// zero-value loads only, for counting: it records whether each stored value
// is zero and nothing else. It never fingerprints a value, so it never
// reads memory that the program may be writing under its own locks, and
// its cost does not depend on the size of what a value reaches; store
// sites are not kept, so events carry the site of the operation but no
// Other. Fingerprints, [custody.MapMutatedAfterStore], [custody.MapZeroStored],
// store sites and [CheckAll] belong to verify mode (the test oracle): there
// every operation checks fingerprints and events carry stacks and store
// sites. A value stored while custody was off, or in observe mode, has no
// fingerprint: a later zero-value load of it is reported without a store
// site, and it is never checked for mutation.
//
// Events never set Event.Goroutine, and are emitted with a background
// context: Map's methods take no context to find an identity in. Each event
// is emitted by the goroutine that did the operation (for [CheckAll], its
// caller), so a sink can attribute it through that goroutine's pprof
// labels, as the oracle does.
//
// # Facts
//
// Delete removes a key: once Delete returns, Load returns ok == false for
// it until the key is stored again, whatever sync.Map's internal bookkeeping
// does, and this package's tests race Delete against Range and Load to show
// it. What hurts is not a ghost key but a zero value stored and then used.
//
// # Fingerprints
//
// A fingerprint hashes the memory a value reaches through pointers, slices,
// maps and interfaces, up to 32 hops, 4096 steps and 64 KiB for the whole
// walk, cycle-safe and independent of map iteration order: each entry of a
// map gets an equal share of what is left of the steps and bytes. It does
// not look into what synchronizes itself or changes behind the program's
// back, reached through a pointer: types of the sync, sync/atomic and
// internal/poll packages (a net.Conn's file descriptor), structs and arrays
// holding one (even a zero-length array, such as a protobuf message's
// DoNotCopy [0]sync.Mutex marker), structs with a field that points to a
// sync or sync/atomic value (a *sync.Mutex, as in log/slog's handlers), and
// types of the time, reflect, runtime, unsafe, weak and unique packages.
// Channels and functions count as their identity. A string counts as its
// pointer and length: its bytes cannot change.
//
// The price of trusting such values is that a change to them is never
// reported: a protobuf message, or any struct carrying a sync marker or a
// pointer to a mutex, changed in place after it was stored goes unnoticed.
// Protobuf messages have to be trusted so: marshaling one writes its size
// cache, with atomics, which a fingerprint cannot tell from a mutation.
//
// A fingerprint reads memory that the program may be writing. A value
// changed in place while another goroutine operates on its key is a data
// race, which the race detector may report in the fingerprint's code too
// (it sees the fingerprint read pointers and slice headers, not the plain
// bytes it hashes); and if what changes is a Go map inside the value, the
// runtime may stop the program with "concurrent map iteration and map
// write". Both are the mutation after store that verify mode exists to
// find, and the reason why observe mode, in production, never
// fingerprints.
package safemap
