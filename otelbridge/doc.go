// Package otelbridge turns custody's events into OpenTelemetry spans, span
// events and metrics, so that a trace shows which goroutines a request
// started, how long they outlived its cancellation, and which channel close
// broke a send.
//
// [Install] puts custody in observe mode with the bridge as its sink:
//
//	tp := sdktrace.NewTracerProvider(...) // the application's providers
//	mp := sdkmetric.NewMeterProvider(...)
//	defer otelbridge.Install(
//		otelbridge.WithTracerProvider(tp),
//		otelbridge.WithMeterProvider(mp),
//	)()
//
// Without options the bridge uses the global providers (otel.GetTracerProvider
// and otel.GetMeterProvider) as they are at Install; it never sets them. Its
// instrumentation scope is [ScopeName] at [Version], with the schema URL of
// the semantic conventions it follows (v1.43.0). To feed the bridge and
// another sink, such as [custody.NewLogSink], install
// custody.Tee(otelbridge.NewSink(...), other) with [custody.SetSink].
//
// # Spans
//
// Each owned goroutine (started by safego) is a span named after the
// goroutine, such as "process-payment": a child of the span in the context
// the goroutine was started with, started when safego asks the sink for the
// goroutine's context ([custody.GoroutineContext]) and ended when the
// goroutine returns. The goroutine's context holds the span, so spans started
// inside the goroutine, and the events of channels operated with that
// context, belong to it. The span's attributes are:
//
//	custody.goroutine.id         int     the record's ID, unique in the process
//	custody.goroutine.name       string  the goroutine's name
//	code.function.name           string  where it was started: the function,
//	code.file.path               string  the file
//	code.line.number             int     and the line that called safego
//	custody.goroutine.parent     string  the name of the goroutine or identity that started it
//	custody.goroutine.parent_id  int     and its ID
//	custody.goroutine.owner      string  the root of the parent chain: the test, request or other identity that owns it
//	custody.goroutine.chain      string  the names from the goroutine to the owner, such as "fetch ← handler"
//	custody.goroutine.cancel_latency double  seconds from its context being done to its return, if it was
//
// The parent, owner and chain are set when the goroutine has a parent. The
// span gets these events:
//
//	custody.goroutine.context_done    the context was done while the goroutine ran; custody.context.error is the context's error
//	custody.goroutine.ignored_cancel  the goroutine still ran a grace period later ([WithCancelGrace]); custody.goroutine.cancel_latency says how long after
//	custody.goroutine.exited          the goroutine returned after its context was done, with custody.goroutine.cancel_latency
//	exception                         the goroutine panicked: exception.type, exception.message and exception.stacktrace (the panic's stack), as the semantic conventions define them
//
// A panic also sets the span's status to Error with the description
// "panic: " and the value, and its error.type attribute to the panic value's
// type. In observe mode safego raises the panic again once the goroutine's
// exit is reported, which ends the process, and a Group's Wait raises its
// members' first panic; before either, safego calls [custody.Flush], and
// the bridge flushes the providers that can (the SDK's have a ForceFlush
// method; a global provider is looked up again then), for at most two
// seconds, so that the span and the count of the panic are exported before
// a crash.
//
// # Channel and map events
//
// Channel events become events on the span in the operation's context: the
// owned goroutine's span when the operation ran with its context, or a
// request's span. Map events would too, but safemap has no context to pass
// (see below), so today they are counted only. They are named "custody."
// and the [custody.Kind]'s name:
//
//	custody.chan.closed, custody.chan.send_after_close, custody.chan.double_close,
//	custody.chan.close_by_non_owner, custody.chan.handoff
//	custody.map.zero_stored, custody.map.zero_loaded, custody.map.mutated_after_store
//
// with the operation's site as code.function.name, code.file.path and
// code.line.number, the goroutine that did it as custody.goroutine.name and
// custody.goroutine.id, and:
//
//	custody.chan.name        string  the channel's name
//	custody.chan.owner       string  its owner (for a handoff, the previous one)
//	custody.chan.new_owner   string  the new owner, for a handoff
//	custody.chan.made_at     string  where it was made, as "file.go:12"
//	custody.chan.closed_by   string  who closed it first, for a send after close or a second close
//	custody.chan.closed_at   string  where
//	custody.chan.since_close double  and how many seconds before
//	custody.map.key          string  the key, formatted with %v
//	custody.map.stored_at    string  where the value was stored, when known
//	custody.map.stored_by    string  and by whom
//
// safemap has no context to pass, so its events reach no span and are
// counted only.
//
// # Metrics
//
//	name                               instrument                      unit         attributes              what it measures
//	custody.goroutine.count            Int64ObservableUpDownCounter    {goroutine}  custody.goroutine.name  owned goroutines running now
//	custody.goroutine.cancel.duration  Float64Histogram                s            custody.goroutine.name  time from a goroutine's context being done to its return
//	custody.goroutine.ignored_cancels  Int64Counter                    {goroutine}  custody.goroutine.name  goroutines still running a grace period after their context was done
//	custody.goroutine.panics           Int64Counter                    {panic}      custody.goroutine.name  panics in owned goroutines
//	custody.chan.sends_after_close     Int64Counter                    {send}       custody.chan.name       sends on closed channels
//	custody.chan.double_closes         Int64Counter                    {close}      custody.chan.name       closes of closed channels
//	custody.chan.non_owner_closes      Int64Counter                    {close}      custody.chan.name       closes by a goroutine that does not own the channel
//	custody.map.zero_loads             Int64Counter                    {load}       none                    loads that returned ok with a zero value
//	custody.map.mutations_after_store  Int64Counter                    {mutation}   none                    values changed in place after they were stored
//
// The histogram's buckets run from 0.1 ms to 60 s. Map metrics have no
// attributes: keys are unbounded and maps have no name. Mutations after
// store are found only in verify mode (safemap does not read stored values
// in production, where that could race with the program's own writes), so
// custody.map.mutations_after_store counts only when the bridge runs beside
// the test oracle, through a [custody.Tee]. Goroutine and
// channel names should be few and fixed, as span names should; the bridge
// keeps the attribute set of at most 1024 names of each kind, and counts the
// measurements of any other name under otel.metric.overflow=true, as the SDK
// does beyond its cardinality limit. The goroutine count is observed when
// the provider collects, from a counter per name the bridge keeps, so that a
// goroutine's start and exit each cost one atomic add.
//
// # Exporters and OTEL_* variables
//
// The bridge only uses the providers it is given; which exporter they feed
// is the application's choice, and the custody module depends on no
// exporter. To honour the standard OTEL_* variables, build the providers
// with go.opentelemetry.io/contrib/exporters/autoexport
// (autoexport.NewSpanExporter and autoexport.NewMetricReader read
// OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_EXPORTER_OTLP_ENDPOINT and the rest), or with the OTLP exporters,
// which read the OTEL_EXPORTER_OTLP_* variables themselves; the SDK's
// default resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
// Then OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 sends to any OTLP
// backend. The e2e/jaeger module of this repository does so and checks the
// result in Jaeger.
//
// # Cost
//
// Attributes and events are built only for spans that are recording
// (span.IsRecording). With a sampler that drops the trace, the bridge adds
// to each owned goroutine what the SDK's Tracer.Start costs for a dropped
// span, and one allocation for its own state: about 0.5 µs and 3
// allocations (BenchmarkSink/goroutine, on a 2-core machine); with the span
// sampled, built and exported through a batch processor, about 4.5 µs and 10
// allocations. A goroutine's exit costs an atomic add and a context lookup,
// kept small enough to run in the goroutine's initial stack. A fault event
// (a send after close, a zero load) costs one counter increment in the SDK,
// about 0.2–0.3 µs, and allocates nothing. safego's BenchmarkGo measures
// the whole of an owned goroutine's cost in observe mode against a go
// statement.
//
// Owned goroutines started before Install get no span and are not counted;
// [Install] says what happens to those still running when it is undone.
package otelbridge
