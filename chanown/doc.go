// Package chanown provides owned channels that never panic and always say
// who closed them.
//
// A raw channel forgets everything: `panic: send on closed channel` names
// neither the channel, nor who closed it, nor when. A [Chan] made with
// [Make] knows its name, its capacity, where it was made and which
// goroutine owns it. Its operations never panic:
//
//   - [Chan.Send] returns nil, the context's error, or a [*CloseError] that
//     matches [ErrClosed] and names the channel, who closed it, where, how
//     long ago, and where this send was;
//   - a second [Chan.Close] returns a [*CloseError] carrying the first
//     closer;
//   - a close by a goroutine that is not the owner still closes (receivers
//     are released) and is reported to the active [custody.Sink], which
//     the oracle turns into a finding.
//
// The owner is the identity ctx carries ([custody.FromContext]) when the
// channel is made: an owned goroutine started by safego, a test's identity
// from the oracle, or nil for an unowned channel. [Chan.Handoff] passes
// ownership on, for example to the producer goroutine that will close it.
//
// # Events
//
// With a sink installed, a Chan reports [custody.ChanMade],
// [custody.ChanClosed], [custody.ChanSendAfterClose],
// [custody.ChanDoubleClose], [custody.ChanCloseByNonOwner] and
// [custody.ChanHandoff]. A successful send or receive reports nothing, so
// observe and verify modes cost about what off mode costs on the hot path.
// In verify mode events carry stacks, and an operation blocked on a Chan by
// a goroutine with an identity can be looked up with [Waiting].
//
// Each event is emitted by the goroutine that did the operation, after the
// operation and outside any lock, so events of one channel may reach the
// sink out of order: a send released by a close may report
// ChanSendAfterClose before the closer reports ChanClosed. Their times
// agree: the OtherTime of a send after close is the Time of the close.
//
// chanown keeps no record of a channel that outlives it: the only registry,
// behind [Waiting], holds weak pointers and only while an operation is
// blocked, so a dropped Chan is garbage collected, and the registry never
// makes a channel look reachable to the runtime's goroutineleak profile.
//
// # Cost
//
// A send and receive through a buffered Chan costs, over the raw channel, a
// nil check of the Chan, two atomic adds and an atomic load on the sender's
// side, and a context case in the select of an operation that has to wait.
// In BenchmarkSendRecv (one producer, one consumer, capacity 64), measured
// with benchratio on a noisy 2-core machine, that is 1.1–1.5× a raw
// channel's time in off and observe modes alike in most runs, and up to
// 1.85× in the noisiest (medians of benchratio's rounds), with no
// allocation: a successful operation records nothing.
// Verify mode, with the oracle installed, also allocates a waiting record
// for each operation that blocks with an identity in its context: 1.8–2.8×
// raw, and about 4 bytes per send and receive in the benchmark, where few
// receives block.
package chanown
