// Package cancelscope defines an Analyzer that reports a deferred cancel
// that cancels work a function hands to a goroutine and does not wait for.
//
// # Analyzer cancelscope
//
// cancelscope: report defer cancel() on a context handed to a goroutine
// that outlives the function
//
// The incident:
//
//	ctx, cancel := context.WithCancel(r.Context())
//	defer cancel()
//	go processAsync(ctx, w)
//
// The deferred cancel cancels ctx the moment the handler returns, and with
// it the asynchronous work that was meant to go on. The work fails,
// sometimes, with "context canceled", far from the line that caused it.
//
// The analyzer reports the defer cancel() of a context made with
// context.WithCancel, WithTimeout, WithDeadline (or their Cause variants)
// when that context, or one derived from it, is handed to a goroutine (a
// go statement, safego.Go, a Group's Go or TryGo) that the function does
// not wait for. The function waits for it when, after starting it, it
// calls a Wait method (sync.WaitGroup, errgroup.Group, safego.Group),
// receives from a channel or runs a select. A goroutine that receives
// from a Done() channel itself, or in a function of the same package that
// it calls, is built to stop on cancel and is not reported,
// nor is one that calls cancel itself (a listener that ends the context
// too), nor is safego.AfterFunc, whose timer is meant to stop with ctx, nor a
// go statement that calls a function value (a callback such as
// client-go's OnStartedLeading, whose body cannot be read and which is
// commonly meant to stop with the context it is handed).
//
// Test files are not checked, nor is a program's main function: when it
// returns, the process ends, goroutines and all.
//
// Fix: hand the goroutine context.WithoutCancel(ctx), with a deadline of
// its own, or wait for it before returning.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore cancelscope REASON
package cancelscope
