package main

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"

	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/custody-go/custody/analysis"
)

// A staticFinding is one diagnostic of custodyvet (the checklist's
// analyzers) on this demo's own source.
type staticFinding struct {
	File         string // base name: "zerocache.go"
	Line, Column int
	Rule         string // the analyzer: "zerostore"
	Message      string
}

func (f staticFinding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Line, f.Column, f.Rule, f.Message)
}

// staticCheck runs custodyvet's analyzers over this package, as
// `go run ./cmd/custodyvet ./examples/payment` does, and returns what they
// report, in file and line order. It needs the go command and the demo's
// source, which `go run ./examples/payment` has.
func staticCheck() ([]staticFinding, error) {
	cfg := &packages.Config{Mode: packages.LoadSyntax}
	pkgs, err := packages.Load(cfg, "github.com/custody-go/custody/examples/payment")
	if err != nil {
		return nil, err
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		return nil, fmt.Errorf("payment: %d errors loading the demo's source", n)
	}
	g, err := checker.Analyze(analysis.Analyzers(), pkgs, &checker.Options{Sequential: true})
	if err != nil {
		return nil, err
	}
	var out []staticFinding
	for act := range g.All() {
		if !act.IsRoot {
			continue
		}
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			out = append(out, staticFinding{filepath.Base(p.Filename), p.Line, p.Column, act.Analyzer.Name, d.Message})
		}
	}
	slices.SortFunc(out, func(a, b staticFinding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}
