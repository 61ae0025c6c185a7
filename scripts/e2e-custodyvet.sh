#!/usr/bin/env bash
# End-to-end: the custodyvet binary, run the two ways that need no plugin,
# on a throwaway module that breaks the gosched rule once.
#   1. As a multichecker (what `go run ./cmd/custodyvet ./...` runs): exit
#      status 3 and the diagnostic; with -gosched=false, nothing; with -fix,
#      the file becomes analysis/gosched/testdata/src/a/b.go.golden.
#   2. As go vet -vettool=<the built binary>: vet's protocol (one .cfg file
#      per package) reports the same diagnostic.
# .ci/run also runs both ways on custody itself, which must be clean; the
# third way, the golangci-lint plugin, is scripts/e2e-golangci.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/custodyvet" ./cmd/custodyvet
mod="$tmp/mod"
mkdir -p "$mod"
cp analysis/gosched/testdata/src/a/b.go "$mod/b.go"
printf 'module a\n\ngo 1.26\n' >"$mod/go.mod"
want='b.go:7:2: runtime.Gosched in production code'

expect() { # expect STATUS PATTERN CMD...: CMD exits with STATUS and prints PATTERN
  local status=$1 pattern=$2; shift 2
  set +e; out=$("$@" 2>&1); got=$?; set -e
  if [ "$got" != "$status" ] || ! grep -qF -- "$pattern" <<<"$out"; then
    echo "FAIL: $* exited $got (want $status), output (want \"$pattern\"):"; echo "$out"; exit 1
  fi
  echo "ok: $*"
}

cd "$mod"
export GOWORK=off
expect 3 "$want" "$tmp/custodyvet" ./...
expect 0 "" "$tmp/custodyvet" -gosched=false ./...
expect 1 "$want" go vet -vettool="$tmp/custodyvet" ./...
expect 0 "" "$tmp/custodyvet" -fix ./...
diff -u "$root/analysis/gosched/testdata/src/a/b.go.golden" b.go
echo "ok: -fix wrote the golden file"
