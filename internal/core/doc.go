// Package core holds the state custody's packages share: the installed
// sinks, record IDs, the context key of a record and the pprof label names.
// It imports only the standard library, so that the root package can
// forward to it; internal/spine gives the wrappers a typed view of it.
package core
