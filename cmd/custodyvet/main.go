// Custodyvet checks Go code against the concurrency contract checklist:
// goroutines that nothing can stop, channels without an owner and a closer,
// pooled objects put back dirty, runtime.Gosched outside tests, selects
// that can wait forever, deferred cancels that kill asynchronous work,
// timers nobody can stop, values changed after a concurrent map published
// them, and zero values stored into one.
//
// Run it on packages, as go vet runs its own passes:
//
//	go run github.com/custody-go/custody/cmd/custodyvet ./...
//
// or have go vet run it:
//
//	go build -o custodyvet github.com/custody-go/custody/cmd/custodyvet
//	go vet -vettool=$PWD/custodyvet ./...
//
// -NAME=false turns the rule NAME off, -fix applies the suggested fixes,
// and custodyvet help NAME prints a rule's documentation. A
// //custody:ignore NAME reason comment on a line, or the line above,
// silences that rule there.
package main

import (
	"golang.org/x/tools/go/analysis/multichecker"

	"github.com/custody-go/custody/analysis"
)

func main() { multichecker.Main(analysis.Analyzers()...) }
