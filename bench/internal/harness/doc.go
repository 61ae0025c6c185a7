// Package harness holds what the benchmarks of the bench module share: a
// stand-in test for the oracle (Test), benchmark loops cut into rounds, each
// round a test of its own (Rounds), and the OpenTelemetry set-up of observe
// mode (OTel).
package harness
