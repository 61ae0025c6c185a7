#!/usr/bin/env bash
# Stress: the whole suite under the race detector, many times, in a shuffled
# order, then each fuzz target for a while. CI runs it short
# (scripts/stress.sh -short); run it long before a release:
#
#   scripts/stress.sh                 # -count=20, fuzz 2m per target
#   COUNT=50 FUZZTIME=10m scripts/stress.sh
#
# A failure prints the -shuffle seed; rerun with -shuffle=SEED to repeat it.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-20}
fuzztime=${FUZZTIME:-2m}
if [ "${1:-}" = "-short" ]; then
  count=${COUNT:-3}
  fuzztime=${FUZZTIME:-15s}
fi

# The library's packages: the analyzers' tests are single-goroutine and
# deterministic, and slow under -race, so repeating them finds nothing.
pkgs=$(go list ./... | grep -v -e /analysis -e /cmd/)
echo "== go test -race -count=$count -shuffle=on (the library's packages)"
go test -race -count="$count" -shuffle=on $pkgs

# Every fuzz target of the module, each for $fuzztime.
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== fuzz $pkg $target for $fuzztime"
    go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg"
  done
done
