// Package custody gives goroutines, channels and maps a memory of who owns them.
//
// Go's primitives forget everything: a goroutine does not know who started it,
// a channel does not know who owns or closed it, a sync.Map does not know who
// stored a zero. The wrappers in custody's subpackages (safego, chanown,
// safemap) record ownership, context cancellation and close events, and report
// each as one [Event] to the process-wide [Sink]:
//
//   - the oracle package turns events into per-test verdicts;
//   - the otelbridge package turns them into OpenTelemetry spans, events and
//     metrics;
//   - [NewLogSink] writes them to a log/slog logger.
//
// This package holds the spine they share: [Event] and [Kind], [Site] and
// [Stack] (call sites kept as program counters and resolved only when read),
// the [Goroutine] record that travels in a context ([FromContext],
// [NewContext]), and the active sink ([SetSink], [Tee]).
//
// # Modes and cost
//
// With no sink installed custody is off: every wrapped operation costs one
// atomic load ([Active]) on top of the bare primitive, and allocates nothing
// more. A sink chooses observe or verify mode through its Mode method; see
// [Mode]. Measured with
//
//	go test -run '^$' -bench . -benchmem ./...
//
// and summarised as ratios by the project's benchratio tool.
package custody
