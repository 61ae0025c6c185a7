// Package analysis lists custodyvet's analyzers: the concurrency contract
// checklist, one go/analysis Analyzer per rule, in the subdirectories of
// this one. cmd/custodyvet runs them all; the golangci-lint plugin in
// analysis/golangci registers them.
package analysis

import (
	"golang.org/x/tools/go/analysis"

	"github.com/custody-go/custody/analysis/afterfunc"
	"github.com/custody-go/custody/analysis/cancelscope"
	"github.com/custody-go/custody/analysis/chanannot"
	"github.com/custody-go/custody/analysis/gosched"
	"github.com/custody-go/custody/analysis/gostmt"
	"github.com/custody-go/custody/analysis/poolreset"
	"github.com/custody-go/custody/analysis/publishmutation"
	"github.com/custody-go/custody/analysis/selectdone"
	"github.com/custody-go/custody/analysis/zerostore"
)

// Analyzers returns the checklist's analyzers, a new slice each call.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		gostmt.Analyzer,
		chanannot.Analyzer,
		poolreset.Analyzer,
		gosched.Analyzer,
		selectdone.Analyzer,
		cancelscope.Analyzer,
		afterfunc.Analyzer,
		publishmutation.Analyzer,
		zerostore.Analyzer,
	}
}
