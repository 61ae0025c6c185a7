#!/usr/bin/env bash
# End-to-end: custodyvet as a golangci-lint v2 module plugin. The Go test in
# e2e/golangci builds golangci-lint v2.15.0 with the plugin of
# analysis/golangci (a main that imports golangci-lint's commands and the
# plugin: what `golangci-lint custom` generates, without its git clone),
# runs it on e2e/golangci/testdata/bad with e2e/golangci/.golangci.yml and
# checks that it reports exactly the lines marked "want: RULE".
#
# Both modules are nested and used with GOWORK=off: golangci-lint and the
# plugin API stay out of the root module's graph, which this script checks.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off

if go mod graph | grep -q golangci; then
  echo "the root module's graph mentions golangci:"; go mod graph | grep golangci; exit 1
fi
(cd analysis/golangci && go vet ./... && go test -count=1 ./...)
(cd e2e/golangci && go vet ./... && timeout 1800 go test -count=1 ./...)
