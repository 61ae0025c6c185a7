// Package golangci is custodyvet as a golangci-lint v2 module plugin: it
// registers the linter "custodyvet", which runs the concurrency contract
// checklist's analyzers (see github.com/custody-go/custody/analysis).
//
// It is a module of its own so that golangci-lint's plugin API stays out of
// the dependencies of a service that imports custody. Build a golangci-lint
// with it from a .custom-gcl.yml:
//
//	version: v2.15.0
//	plugins:
//	  - module: github.com/custody-go/custody/analysis/golangci
//	    import: github.com/custody-go/custody/analysis/golangci
//	    version: latest
//
// then `golangci-lint custom`, and enable it in .golangci.yml:
//
//	version: "2"
//	linters:
//	  enable:
//	    - custodyvet
//	  settings:
//	    custom:
//	      custodyvet:
//	        type: module
//	        description: the concurrency contract checklist
//	        settings:
//	          disable: [chanannot] # rules to leave out, by name
//
// A main package that imports golangci-lint's commands and this package
// (as e2e/golangci in custody's repository does) builds the same binary
// without `golangci-lint custom`.
package golangci

import (
	"fmt"
	"slices"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	custodyvet "github.com/custody-go/custody/analysis"
)

// Registering on import is how golangci-lint finds module plugins.
func init() { register.Plugin("custodyvet", New) }

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	// Disable lists the rules (analyzer names) to leave out.
	Disable []string `json:"disable"`
}

// New returns the plugin for the settings golangci-lint decoded from its
// configuration. It fails on an unknown setting or rule name.
func New(conf any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](conf)
	if err != nil {
		return nil, fmt.Errorf("custodyvet: %w", err)
	}
	all := custodyvet.Analyzers()
	for _, name := range s.Disable {
		if !slices.ContainsFunc(all, func(a *analysis.Analyzer) bool { return a.Name == name }) {
			return nil, fmt.Errorf("custodyvet: no rule named %q to disable", name)
		}
	}
	return &plugin{s: s}, nil
}

type plugin struct{ s Settings }

// BuildAnalyzers returns the analyzers the settings leave in.
func (p *plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	return slices.DeleteFunc(custodyvet.Analyzers(), func(a *analysis.Analyzer) bool {
		return slices.Contains(p.s.Disable, a.Name)
	}), nil
}

// GetLoadMode says the analyzers need type information.
func (p *plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
