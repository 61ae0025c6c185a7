package otelbridge

// ScopeName is the instrumentation scope of the tracer and meter the bridge
// uses: its import path.
const ScopeName = "github.com/custody-go/custody/otelbridge"

// Version is the instrumentation version the bridge reports with its scope.
const Version = "0.1.0"
