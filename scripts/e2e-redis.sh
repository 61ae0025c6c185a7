#!/usr/bin/env bash
# End-to-end: the payment demo (go run ./examples/payment) once against a
# real redis-server instead of the embedded miniredis. Installs redis-server
# from Debian's packages if it is missing (needs root), starts it on
# 127.0.0.1 on a free port with no persistence, and stops it by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "== installing redis-server (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

# A port nothing listens on: bash's /dev/tcp fails to connect to it.
port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 12000)) # below the kernel's ephemeral range (32768 and up)
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    port=$p
    break
  fi
done
[ -n "$port" ] || { echo "e2e-redis: no free port found"; exit 1; }

work=$(mktemp -d)
redis_pid=
cleanup() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid"
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== redis-server on 127.0.0.1:$port"
redis-server --save '' --appendonly no --bind 127.0.0.1 --port "$port" --daemonize no \
  --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!

for i in $(seq 1 100); do
  if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
    break
  fi
  if [ "$i" = 100 ] || ! kill -0 "$redis_pid" 2>/dev/null; then
    echo "e2e-redis: redis-server did not answer PING"; cat "$work/redis.log"; exit 1
  fi
  sleep 0.1
done

echo "== go run ./examples/payment against it"
status=0
REDIS_ADDR="127.0.0.1:$port" timeout 300 go run ./examples/payment >"$work/out.txt" 2>"$work/err.txt" || status=$?
cat "$work/out.txt"
if [ "$status" != 0 ]; then
  echo "e2e-redis: the demo exited with status $status"; cat "$work/err.txt"; exit 1
fi
grep -q "(REDIS_ADDR)" "$work/err.txt" || { echo "e2e-redis: the demo did not use REDIS_ADDR"; cat "$work/err.txt"; exit 1; }
for incident in zero-cache afterfunc cancel mutation closed-send; do
  grep -Eq "^[1-5] +$incident " "$work/out.txt" || { echo "e2e-redis: no row for $incident in the table"; exit 1; }
done
keys=$(redis-cli -h 127.0.0.1 -p "$port" --scan --pattern 'custody-demo:*' | wc -l)
echo "== ok: the demo ran against redis-server ($keys keys written)"
