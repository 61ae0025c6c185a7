// Package safego starts goroutines that remember who started them and why.
//
// A go statement forgets its origin. [Go], [Group] and [AfterFunc] start
// owned goroutines: each has a [custody.Goroutine] record (name, spawn site,
// parent, start time) in its context, and reports its spawn, its context
// being done, a cancellation it ignored for longer than the grace, a panic
// and its exit to the installed sinks.
//
//	safego.Go(ctx, "send-receipt", func(ctx context.Context) {
//		// custody.FromContext(ctx) is this goroutine's record.
//	})
//
// Off (no sink): Go is a go statement. Observe (otelbridge): the goroutine
// carries the pprof label custody.name, so `go tool pprof -tags` counts
// goroutines by owner, and a panic is reported, flushed (two seconds at
// most) and raised again. Verify (the oracle): the labels are custody.id and
// custody.name, the spawn stack is kept, and a panic fails the owning test
// instead of the binary. Goroutines an owned goroutine starts with a go
// statement inherit its labels. [Group.Wait] re-raises a member's panic in
// every mode.
//
// Cost: off adds nothing to a go statement; observe costs two to three go
// statements, verify several times more (BenchmarkGo, BenchmarkGroup; see
// [BENCHMARKS.md]).
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package safego
