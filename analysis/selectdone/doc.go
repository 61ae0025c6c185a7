// Package selectdone defines an Analyzer that reports select statements
// that can wait forever.
//
// # Analyzer selectdone
//
// selectdone: report a select with neither a default nor a cancellation case
//
// A select without a default case blocks until one of its cases can
// proceed. When none of them is a way out (the context's Done channel, a
// done channel, a timer), a goroutine that runs it waits as long as its
// peers do, forever if they are gone: the leak no test sees, because the
// test's peer was there.
//
// A case counts as a way out when it receives from:
//   - X.Done() for any X (a context.Context, an errgroup-like type);
//   - a channel of time.Time (time.After, a Timer's or Ticker's C);
//   - a channel of struct{} (by convention a signal that is closed);
//   - a channel whose name says it signals the end: done, quit, stop,
//     closing, cancel, shutdown, exit, die.
//
// A select that sends to and receives from the same channel (replacing the
// value in a buffered channel) is not reported either. Test files are not
// checked: go test's -timeout bounds their waits.
//
// Fix: add a case <-ctx.Done() (returning ctx.Err()) or a case on the done
// channel that the goroutine's owner closes.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore selectdone REASON
package selectdone
