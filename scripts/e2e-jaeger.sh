#!/usr/bin/env bash
# End-to-end: otelbridge's spans in a real Jaeger. Builds Jaeger v1.76.0 from
# the Go module proxy (the tool dependency of e2e/jaeger/tool; the binary is
# cached under ${XDG_CACHE_HOME:-$HOME/.cache}/custody, keyed by version, Go
# version and go.sum), starts it with e2e/jaeger/jaeger.yaml on free ports,
# every listener on 127.0.0.1 (checked with ss when it is installed), runs the
# Go test in e2e/jaeger, which exports owned-goroutine spans over OTLP HTTP
# and checks them through Jaeger's query API, and stops Jaeger by PID on exit.
#
# The nested modules are used with GOWORK=off: neither belongs in go.work
# (the tool module's dependencies do not even build against the root's
# OpenTelemetry versions).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export GOWORK=off
start=$SECONDS

version=v1.76.0
gover=$(go env GOVERSION)
sum=$(cat e2e/jaeger/tool/go.mod e2e/jaeger/tool/go.sum | sha256sum | cut -c1-12)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/custody/jaeger-$version-$gover-$(go env GOOS)-$(go env GOARCH)-$sum"
bin="$cache/jaeger"

if [ -x "$bin" ]; then
  echo "== jaeger $version: cached at $bin"
else
  echo "== building jaeger $version into $cache (several minutes the first time)"
  mkdir -p "$cache"
  (cd e2e/jaeger/tool && timeout 2400 go build -trimpath -o "$bin.$$" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$bin.$$" "$bin" # atomic: a concurrent run sees no half-written binary
  echo "== built in $((SECONDS - start))s"
fi

# Free ports: below Linux's ephemeral range (32768 and up), so that no
# outgoing connection holds one, and nothing listening (bash's /dev/tcp
# fails to connect).
ports=()
for _ in $(seq 1 200); do
  [ "${#ports[@]}" -eq 7 ] && break
  p=$((20000 + RANDOM % 12000))
  case " ${ports[*]} " in *" $p "*) continue ;; esac
  if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
    ports+=("$p")
  fi
done
[ "${#ports[@]}" -eq 7 ] || { echo "e2e-jaeger: no free ports found"; exit 1; }
export E2E_OTLP_GRPC_PORT=${ports[0]} E2E_OTLP_HTTP_PORT=${ports[1]} \
  E2E_QUERY_HTTP_PORT=${ports[2]} E2E_QUERY_GRPC_PORT=${ports[3]} \
  E2E_HEALTH_PORT=${ports[4]} E2E_HEALTH_GRPC_PORT=${ports[5]} E2E_METRICS_PORT=${ports[6]}

work=$(mktemp -d)
jaeger_pid=
cleanup() {
  if [ -n "$jaeger_pid" ] && kill -0 "$jaeger_pid" 2>/dev/null; then
    kill "$jaeger_pid"
    for _ in $(seq 1 100); do
      kill -0 "$jaeger_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$jaeger_pid" 2>/dev/null; then
      echo "e2e-jaeger: jaeger did not stop in 10s; killing it"
      kill -9 "$jaeger_pid"
    fi
    wait "$jaeger_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# http_ok PORT PATH: whether GET http://127.0.0.1:PORT/PATH answers 200,
# with bash alone, in at most two seconds.
http_ok() {
  timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
    IFS= read -r status <&3
    case "$status" in *" 200 "*) exit 0 ;; esac
    exit 1
  ' http_ok "$1" "$2" 2>/dev/null
}

echo "== jaeger on 127.0.0.1: OTLP HTTP $E2E_OTLP_HTTP_PORT, query HTTP $E2E_QUERY_HTTP_PORT"
"$bin" --config "$root/e2e/jaeger/jaeger.yaml" >"$work/jaeger.log" 2>&1 &
jaeger_pid=$!

for i in $(seq 1 240); do
  if http_ok "$E2E_HEALTH_PORT" /status && http_ok "$E2E_QUERY_HTTP_PORT" /api/services &&
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$E2E_OTLP_HTTP_PORT" 2>/dev/null; then
    break
  fi
  if [ "$i" = 240 ] || ! kill -0 "$jaeger_pid" 2>/dev/null; then
    echo "e2e-jaeger: jaeger did not become ready in 60s"; tail -50 "$work/jaeger.log"; exit 1
  fi
  sleep 0.25
done
echo "== jaeger ready (pid $jaeger_pid)"

if command -v ss >/dev/null; then
  echo "== listeners of pid $jaeger_pid (ss -ltunp)"
  listeners=$(ss -H -ltunp | grep "pid=$jaeger_pid," || true)
  echo "$listeners"
  [ -n "$listeners" ] || { echo "e2e-jaeger: ss shows no listener of jaeger"; exit 1; }
  if echo "$listeners" | awk '{print $5}' | grep -v '^127\.0\.0\.1:'; then
    echo "e2e-jaeger: jaeger listens beyond 127.0.0.1 (above)"; exit 1
  fi
else
  echo "== ss not installed: listener check skipped"
fi

echo "== go test in e2e/jaeger"
for v in $(compgen -e | grep '^OTEL_' || true); do unset "$v"; done
status=0
(
  cd e2e/jaeger
  E2E_JAEGER_QUERY="http://127.0.0.1:$E2E_QUERY_HTTP_PORT" \
    OTEL_SERVICE_NAME="custody-e2e-$$" \
    OTEL_TRACES_EXPORTER=otlp \
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$E2E_OTLP_HTTP_PORT" \
    timeout 600 go test -count=1 -v ./...
) | tee "$work/test.log" || status=$?
if [ "$status" != 0 ]; then
  echo "e2e-jaeger: go test failed (status $status); jaeger's log:"; tail -50 "$work/jaeger.log"; exit 1
fi
grep -q -- "--- PASS: TestJaeger" "$work/test.log" || { echo "e2e-jaeger: TestJaeger did not run"; exit 1; }
echo "== ok: owned-goroutine spans checked in Jaeger ($((SECONDS - start))s)"
