// Package chanown provides owned channels, which never panic on a closed
// channel and say who closed them.
//
// A [Chan] made with [Make] knows its name, its owner and its first closer,
// and a send or close after close returns a [*CloseError] that names them
// where a raw channel panics with "send on closed channel".
//
//	results := chanown.Make[Result](ctx, "payment-results", 1)
//	err := results.Send(ctx, r) // nil, ctx's error, or a *CloseError
//	r, ok, err := results.Recv(ctx)
//
// The owner is the identity ctx carries when the channel is made
// ([custody.FromContext]). A goroutine the owner starts is not the owner:
// pass the channel with [Chan.Handoff] to the goroutine that will close it.
//
// With custody off a Chan records nothing. In observe mode it reports
// channel events (made, closed, send after close, double close, close by a
// non-owner, handoff); a successful send or receive reports nothing. In
// verify mode events carry stacks, and blocked operations are recorded.
//
// A send and a receive cost about what they cost on a raw channel when they
// need not wait, and what a select with ctx.Done() costs when they must
// (BenchmarkSendRecv, BenchmarkSendRecvUnbuffered; see [BENCHMARKS.md]).
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package chanown
