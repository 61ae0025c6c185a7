// Package gostmt defines an Analyzer that reports go statements whose
// goroutine nothing can stop.
//
// # Analyzer gostmt
//
// gostmt: report a go statement with no context and no done channel
//
// The checklist: every go statement comes with a way to stop it, a
// context.Context it watches or a done channel it listens on. A goroutine
// with neither runs until its work ends by itself; when that work waits for
// a peer that is gone, it never ends, and nobody can tell it to.
//
// A go statement is not reported when its goroutine:
//   - is given, or refers to, a context.Context (an argument, a captured
//     variable, a field);
//   - is given a channel, or receives from one (a receive, a range over a
//     channel, a select);
//   - calls Done on something: ctx.Done(), or a sync.WaitGroup's Done,
//     which its starter waits for.
//
// For a function literal, and for a function or method of the same
// package, the analyzer reads the body (and the bodies of the same
// package's functions it calls directly). A go statement that calls a
// function of another package, or a function value, is not reported: its
// body cannot be read. Test files are not checked.
//
// Fix: start the goroutine with safego.Go(ctx, name, fn), or give it a
// context or a done channel and return when it is done.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore gostmt REASON
package gostmt
