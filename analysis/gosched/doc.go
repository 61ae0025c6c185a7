// Package gosched defines an Analyzer that reports runtime.Gosched in
// production code.
//
// # Analyzer gosched
//
// gosched: report runtime.Gosched outside tests
//
// runtime.Gosched yields the processor and nothing more: it orders no
// memory access and makes no other goroutine run first. Production code
// that calls it to "let the other goroutine get there first" has a race
// that the call only makes rarer. It is for tests that simulate
// preemption.
//
// A call inside a loop is not reported: a spin-wait or a poll that yields
// between attempts (on an atomic value, a TryLock, a queue) uses the yield
// for throughput, and whatever it polls is what synchronizes. Nor is a
// call that only a test flag turns on (inside if s.testing, if
// testing.Testing()), a call right before a return (a back-off step: the
// caller decides what runs next), or a call between x.Unlock() and
// x.Lock() (it lets the goroutine contending for the lock in).
//
// Fix: synchronize with what the code waits for (a channel, a
// sync.WaitGroup, a mutex), then delete the call. The suggested fix
// deletes the call.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore gosched REASON
package gosched
