// Package oracle turns custody's records into test verdicts.
//
// A test calls [Check] first; it gets back a context that carries the test's
// identity. Whatever the test starts with that context — owned goroutines
// (safego), owned channels (chanown), and raw goroutines, which inherit the
// test's pprof labels — belongs to the test. When the test ends, the oracle
// fails it, with one block per finding, if any of these happened in it:
//
//   - a goroutine it started, directly or transitively, is still running
//     after the settle time ([Settle]), or the goroutineleak profile proves
//     it blocked forever;
//   - an owned goroutine ignored its context: it was still running the cancel
//     grace ([CancelGrace]) after its context was done;
//   - an owned goroutine panicked (the panic is turned into a finding instead
//     of killing the test binary);
//   - a send on a closed channel: chanown's ErrClosed, or the runtime's panic
//     caught in an owned goroutine;
//   - a channel closed twice, or by a goroutine that does not own it;
//   - a safemap load returned ok == true with a zero value, or a stored value
//     was changed in place after it was stored.
//
// Findings belong to the test whose identity started the goroutine involved,
// so tests that call t.Parallel get verdicts of their own; goleak, which
// looks at the whole process, cannot do that. [VerifyTestMain] adds a
// package-wide verdict after all tests ran, built on go.uber.org/goleak, for
// goroutines nobody owns.
//
// # How it works
//
// Check installs the oracle's sink in [core.Verify] mode (process-wide,
// reference-counted across concurrent tests; a sink installed before, such
// as otelbridge, keeps receiving events through a [custody.Tee]). Leaks are
// found in a goroutine dump: the oracle adds tracebacklabels=1 to GODEBUG in
// the process environment when it installs its sink and GODEBUG does not set
// tracebacklabels already, so that the dump shows
// each goroutine's custody.id label, which maps it to its owner. When the
// test binary is built with GOEXPERIMENT=goroutineleakprofile, the oracle
// also asks the runtime's goroutineleak profile which goroutines can never
// be woken and reports those at once instead of waiting out the settle time.
//
// Events that carry no goroutine record (safemap operations have no context)
// are attributed through the labels of the goroutine that performed them.
// An owned goroutine started with a context that carries no test's identity
// (t.Context() rather than Check's) belongs to the test whose goroutine
// started it, as a raw goroutine would. An event that still cannot be
// attributed goes, with a note saying so, to the package verdict of
// [VerifyTestMain]. Without it, an event with neither a record nor labels
// goes to the only test being checked at the time, and any other to the
// next verdict that ends. Only an ignored cancellation of a
// goroutine already reported as leaked, or let go with IgnoreTopFunction, is
// not reported again.
//
// Values mutated in place after their last map operation show only when
// asked: a verdict asks safemap.CheckAll when its test is the only one
// running, and VerifyTestMain asks at the end, of the maps still reachable
// then. CheckAll looks at every live map, so a mutation it finds is reported
// with a note that it may come from code outside the test. Tests that run in
// parallel therefore get this finding only from a later operation on the
// key: a map that a parallel test drops before the end is never asked.
//
// The oracle works inside testing/synctest bubbles (its waits then advance
// the bubble's fake clock), with subtests, and with t.Parallel.
package oracle
