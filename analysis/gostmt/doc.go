// Package gostmt defines an Analyzer that reports go statements whose
// goroutine nothing can stop.
//
// # Analyzer gostmt
//
// gostmt: report a goroutine that loops forever and cannot be stopped
//
// The checklist: every go statement comes with a way to stop it, a
// context.Context it watches or a done channel it listens on. The analyzer
// reports the go statements for which the lack of one is sure to matter: a
// goroutine that loops forever (a for without a condition that no return,
// break, goto, panic or os.Exit leaves) and can be told nothing. A
// goroutine whose work ends by itself is not reported, nor one that:
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
// body cannot be read. Test files are not checked, nor is a program
// (package main): its goroutines end when the process does.
//
// Fix: start the goroutine with safego.Go(ctx, name, fn), or give it a
// context or a done channel and return when it is done.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore gostmt REASON
package gostmt
