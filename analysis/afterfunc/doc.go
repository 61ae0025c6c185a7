// Package afterfunc defines an Analyzer that reports time.AfterFunc timers
// that nobody can stop.
//
// # Analyzer afterfunc
//
// afterfunc: report a time.AfterFunc whose timer is thrown away
//
// time.AfterFunc returns the *time.Timer that can stop it. Code that throws
// it away cannot stop the timer when the work it guards ends early: the
// function runs anyway, later, holding whatever it captured until then. A
// timer set per request and never stopped kept 120,000 goroutines alive
// until the process ran out of memory.
//
// A call is reported when its result is not kept (the call is a statement
// of its own, or its result is assigned to _) and its function, a function
// literal or a function of the same package, is a leak:
//   - it sends on a channel outside a select: once the caller is done
//     nobody may receive, and the timer's goroutine blocks forever (the
//     incident's timers did);
//   - it calls the function that set the timer, which sets the next one: a
//     chain of timers that nothing can stop. A chain whose function can
//     return before it sets the timer (a check that its owner still runs)
//     ends by itself and is not reported.
//
// A thrown-away timer whose function ends by itself is a delayed action
// meant to run (close a stream after a grace period, collect garbage in a
// minute) and is not reported. Test files are not checked.
//
// Fix: keep the timer and Stop it when the work ends, or tie it to the
// request's context with safego.AfterFunc(ctx, d, name, f), which stops
// the timer when ctx is done. When a context.Context is in scope the
// suggested fix rewrites the call to safego.AfterFunc with it.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore afterfunc REASON
package afterfunc
