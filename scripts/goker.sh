#!/usr/bin/env bash
# The GoKer leak corpus (e2e/goker): every kernel, raw, ported to
# safego/chanown, and fixed, under the oracle and under goleak, each in a
# child process of the module's test binary. Prints, per configuration, a
# table of detection, spawn-site attribution and verdict wall time per
# kernel, medians and max, and the false positives on the fixed kernels.
#
#   scripts/goker.sh          Go 1.26 without and with the goroutineleak
#                             profile, and Go 1.27 (profile on by default;
#                             GOTOOLCHAIN=go1.27.3, fetched by the go command)
#   scripts/goker.sh -short   a few kernels, Go 1.26 without and with the
#                             profile (under a minute; .ci/run runs this)
#   -out DIR                  keep each configuration's table (NAME.txt) and
#                             results (NAME.json, one object per line) in DIR
#   -md FILE                  also write the tables as a section of
#                             BENCHMARKS.md (bench/sections/goker.md)
#
# Runs are sequential (GOKER_PARALLEL=1): verdict times are wall times on a
# machine doing nothing else of ours. The module is used with GOWORK=off: it
# is not part of go.work.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off
start=$SECONDS

short=
out=
md=
while [ $# -gt 0 ]; do
  case "$1" in
    -short) short=1 ;;
    -out) out=$2; shift ;;
    -md) md=$2; shift ;;
    *) echo "usage: scripts/goker.sh [-short] [-out DIR] [-md FILE]" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

# name toolchain GOEXPERIMENT
configs=(
  "go1.26 local -"
  "go1.26-leakprofile local goroutineleakprofile"
)
if [ -z "$short" ]; then
  configs+=("go1.27 go1.27.3 -")
fi

status=0
for c in "${configs[@]}"; do
  read -r name toolchain experiment <<<"$c"
  [ "$experiment" = - ] && experiment=
  echo "== GoKer corpus: $name${short:+ (short)}"
  if (
    cd e2e/goker
    GOTOOLCHAIN=$toolchain GOEXPERIMENT=$experiment GOKER_SHORT=$short GOKER_PARALLEL=1 \
      GOKER_TABLE="$out/$name.txt" GOKER_JSON="$out/$name.json" \
      go test -count=1 -timeout 60m -run '^TestCorpus$' .
  ); then
    :
  else
    status=1
    echo "goker: the corpus failed under $name (above)"
  fi
  [ -f "$out/$name.txt" ] && cat "$out/$name.txt"
  echo
done
echo "== goker: done in $((SECONDS - start))s"
if [ -n "$md" ]; then
  {
    echo "## The GoKer leak corpus (e2e/goker)"
    echo
    echo "Made by \`scripts/goker.sh${short:+ -short} -md $md\` on $(date -u +%F). Each kernel's variants run"
    echo "in a child process under the oracle and under goleak, one at a time; time is the verdict's wall"
    echo "time, from the end of the test body to the end of the verdict. e2e/goker/README.md describes"
    echo "the kernels and the variants."
    for c in "${configs[@]}"; do
      read -r name _ _ <<<"$c"
      [ -f "$out/$name.txt" ] || continue
      echo
      echo "### $name"
      echo
      echo '```'
      cat "$out/$name.txt"
      echo '```'
    done
  } >"$md"
  echo "goker: wrote $md"
fi
exit $status
