// Command golangci is golangci-lint v2.15.0 built with custodyvet's module
// plugin, as `golangci-lint custom` would build it from a .custom-gcl.yml
// naming github.com/custody-go/custody/analysis/golangci, without the git
// clone that `custom` makes. scripts/e2e-golangci.sh runs it on testdata.
package main

import (
	"fmt"
	"os"

	"github.com/golangci/golangci-lint/v2/pkg/commands"
	"github.com/golangci/golangci-lint/v2/pkg/exitcodes"

	_ "github.com/custody-go/custody/analysis/golangci" // registers the custodyvet plugin
)

func main() {
	info := commands.BuildInfo{Version: "2.15.0-custodyvet", Commit: "e2e", Date: "(unknown)", GoVersion: "go"}
	if err := commands.Execute(info); err != nil {
		fmt.Fprintf(os.Stderr, "The command is terminated due to an error: %v\n", err)
		os.Exit(exitcodes.Failure)
	}
}
