// Package otelbridge turns custody's events into OpenTelemetry spans, span
// events and metrics, so that a trace shows which goroutines a request
// started, how long they outlived its cancellation, and which channel close
// broke a send.
//
//	tp := sdktrace.NewTracerProvider(...) // the application's providers
//	mp := sdkmetric.NewMeterProvider(...)
//	defer otelbridge.Install(
//		otelbridge.WithTracerProvider(tp),
//		otelbridge.WithMeterProvider(mp),
//	)()
//
// Without options the bridge uses the global providers as they are at
// [Install]; it reads no OTEL_* variable (build the providers with
// go.opentelemetry.io/contrib/exporters/autoexport to honour them, as the
// e2e/jaeger module does). Its instrumentation scope is [ScopeName] at [Version].
//
// # Spans
//
// Spans follow the trace: an owned goroutine started with a context whose
// span is recording gets a span of its own, named after the goroutine, a
// child of that span, ended when the goroutine returns; a goroutine started
// outside a recorded trace (no span, or one the sampler dropped) gets none.
// [WithRootSpans] gives every goroutine a span, as the
// sampler decides. The span's attributes are custody.goroutine.id, .name,
// .parent, .parent_id, .owner (the root of the parent chain) and .chain,
// and code.function.name, code.file.path and code.line.number for the line
// that started it. Its events are custody.goroutine.context_done,
// custody.goroutine.ignored_cancel and custody.goroutine.exited (with
// custody.goroutine.cancel_latency, in seconds) and, for a panic, exception
// with the panic's stack; a panic or an error returned by a Group member
// sets the status to Error. Before safego raises a panic again, the bridge
// flushes the providers, for two seconds at most.
//
// Channel events (custody.chan.closed, .send_after_close, .double_close,
// .close_by_non_owner, .handoff) become events on the span of the
// operation's context, with custody.chan.* attributes; safemap's events
// have no context and are counted only.
//
// # Metrics
//
//	custody.goroutine.count            owned goroutines running, by custody.goroutine.name
//	custody.goroutine.cancel.duration  seconds from a goroutine's context being done to its return (histogram)
//	custody.goroutine.ignored_cancels  goroutines still running a grace after their context was done
//	custody.goroutine.panics           panics in owned goroutines
//	custody.goroutine.leaked           goroutines proven blocked forever, by custody.name or code.function.name (WithLeakDetection)
//	custody.chan.sends_after_close, custody.chan.double_closes, custody.chan.non_owner_closes, by custody.chan.name
//	custody.map.zero_loads, custody.map.mutations_after_store (the latter beside the oracle only)
//
// Names should be few and fixed; beyond 1024 goroutine or channel names,
// measurements share the set otel.metric.overflow=true.
//
// [WithLeakDetection] reads the runtime's goroutineleak profile every
// interval and exports custody.goroutine.leaked, an UpDownCounter in
// {goroutine}: the goroutines a garbage collection proved blocked forever
// on channels or sync primitives that nothing running can reach. They
// can never run again, so the count only grows: alert on anything above 0.
// Goroutines started by safego, and raw ones they started, are counted by
// custody.name, their pprof label; others, such as a raw time.AfterFunc's
// callbacks, by code.function.name, the innermost function outside the
// standard library and custody. A pass that found none reports 0 without
// attributes. Go 1.27 has the profile, Go 1.26 only with
// GOEXPERIMENT=goroutineleakprofile; without it the option says so once to
// otel.Handle. go tool pprof reads the same labels from net/http/pprof's
// /debug/pprof/goroutineleak:
//
//	go tool pprof -tags -tagshow=custody.name http://HOST/debug/pprof/goroutineleak
//
// Cost: a goroutine outside a sampled trace gets no span and no allocation,
// one in a sampled trace costs what its span costs the SDK, and a leak
// detection pass about a runtime.GC call (see [BENCHMARKS.md]).
//
// [BENCHMARKS.md]: https://github.com/custody-go/custody/blob/main/BENCHMARKS.md
package otelbridge
