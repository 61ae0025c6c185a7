// Package stack reads what the runtime says about the process's goroutines,
// for test-time tools (custody's oracle); nothing on a hot path should use
// it.
//
// [Parse], [All] and [Current] read the goroutine dumps that
// [runtime.Stack] writes, as printed by Go 1.26 and Go 1.27: goroutine id,
// state and its markers, wait time, synctest bubble, pprof labels (printed
// inside the brackets by Go 1.26 with GODEBUG=tracebacklabels=1, after them
// by Go 1.27, where that setting is on by default for modules at go 1.27),
// frames (C frames too, when a cgo symbolizer describes them) and the
// "created by … in goroutine N" line.
//
// [Profile], [LeakProfile] and [ParseProfile] read the goroutine and
// goroutineleak profiles of runtime/pprof, which carry every goroutine's
// pprof labels whatever GODEBUG says, grouped by stack, without goroutine
// IDs. [Labelled] and [SetLabels] join a dump and a profile, so that a
// caller gets IDs, states, creators and labels without setting
// tracebacklabels for the whole process. [TakeCensus] tells, for next to
// nothing, whether any goroutine started or ended since a poll.
//
// The formats are the runtime's, not a stable API, so the package is tested
// on golden dumps and profiles captured from each supported Go release and
// regenerated with
//
//	go test ./internal/stack -run TestGolden -update
//	GOTOOLCHAIN=go1.27.3 go test ./internal/stack -run TestGolden -update
package stack
