// Package oracle turns custody's records into test verdicts.
//
//	func TestHandler(t *testing.T) {
//		ctx := oracle.Check(t) // first: the test's identity
//		safego.Go(ctx, "worker", work)
//	}
//
// When the test ends, its verdict fails it, with one block per finding, if
// a goroutine it started (owned, or raw: goroutines inherit the test's pprof
// labels) outlived it, an owned goroutine ignored its canceled context or
// panicked, a channel was sent on after close, closed twice or by a
// goroutine that does not own it, or a safemap value was loaded as a stored
// zero or changed in place after it was stored. Findings belong to the test
// whose identity is involved, so t.Parallel tests get verdicts of their own.
// [VerifyTestMain] adds a package verdict for goroutines and findings no
// checked test owns.
//
// The oracle changes nothing the code under test can see: it reads labels
// from the runtime's goroutine profile and sets no environment variable. In
// a testing/synctest bubble its waits run on the bubble's clock: a Settle
// past the longest sleep of the test's goroutines lets them finish (synctest
// still panics, after the report, if some stay blocked). To run goleak
// beside it, register it as a cleanup before Check,
// t.Cleanup(func() { goleak.VerifyNone(t) }): a deferred check runs while
// the test's goroutines still wait for its context to be canceled.
//
// A clean verdict costs about what goleak.VerifyNone costs (BenchmarkVerdict;
// see [BENCHMARKS.md]).
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package oracle
