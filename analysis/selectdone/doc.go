// Package selectdone defines an Analyzer that reports select statements
// that can wait forever.
//
// # Analyzer selectdone
//
// selectdone: report a select that can block forever
//
// The checklist: every select has a default or a ctx.Done() case, no
// unbounded waits. A goroutine blocked in a select with no way out waits as
// long as its peers do, forever if they are gone: the leak no test sees,
// because the test's peer was there.
//
// The analyzer reports a select {} (outside a program's main), and a select
// whose every case sends and none is a way out: once the receivers are gone,
// nothing can release it (closing a channel releases its receivers, and
// panics its senders). A select with a receive case is not reported: the
// usual shutdown closes the channel it receives from, which the analyzer
// cannot see. A case counts as a way out when it is a default or receives
// from:
//   - X.Done() for any X (a context.Context, an errgroup-like type);
//   - a channel of time.Time (time.After, a Timer's or Ticker's C);
//   - a channel of struct{} (by convention a signal that is closed);
//   - a channel whose name says it signals the end: done, quit, stop,
//     closing, cancel, shutdown, exit, die.
//
// Nor is a select with a case that sends struct{}{} on a channel of
// struct{} (a semaphore's acquire: the holders of its tokens release
// them), or a select {} right after go panic(...) (x/sync's singleflight
// crashing the process, with this goroutine kept in the dump).
//
// Test files are not checked: go test's -timeout bounds their waits.
//
// Fix: add a case <-ctx.Done() (returning ctx.Err()) or a case on the done
// channel that the goroutine's owner closes.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore selectdone REASON
package selectdone
