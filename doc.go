// Package custody gives goroutines, channels and concurrent maps a memory of
// who owns them.
//
// A goroutine does not know who started it, a channel does not know who owns
// or closed it, a sync.Map does not know who stored a zero. custody's
// wrappers — safego (goroutines), chanown (channels), safemap (maps) —
// remember, and report what happens as an [Event] to the installed sinks:
// the oracle package turns events into test verdicts, otelbridge into
// OpenTelemetry spans and metrics, [NewLogSink] into log records, and a
// [Sink] of your own into anything.
//
//	uninstall := custody.Install(custody.NewLogSink(nil))
//	defer uninstall()
//	ctx := custody.NewContext(r.Context(), "handle-payment")
//	safego.Go(ctx, "process-payment", process) // spawned by handle-payment
//
// With no sink installed custody is off: each wrapped operation costs one
// atomic load more than the bare primitive ([BENCHMARKS.md]). Installing a
// sink turns on observe mode: events with their call sites. The oracle turns
// on verify mode: stacks, value fingerprints and context watches, for tests.
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package custody
