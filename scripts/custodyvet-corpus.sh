#!/usr/bin/env bash
# custodyvet on real modules from the module proxy: the corpus that
# analysis/README.md reports on. Not run by .ci/run (it downloads a few
# hundred MB and takes tens of minutes); run it by hand:
#
#   scripts/custodyvet-corpus.sh [-set tuning|heldout1|...|heldout4|all] [-only NAME,...] [-time] [OUT]
#
# For each module it downloads the module (go mod download), copies it to
# OUT/src (writable, outside this repository: the modules' code never
# enters it), drops go.mod replace directives that point at directories of
# the module's own repository, and runs the custodyvet built from this
# checkout on the module's packages. OUT/diag/NAME.txt gets the
# diagnostics (OUT/diag/NAME.tsv: rule, position, message); OUT/summary.tsv
# counts them per rule, the annotation requirement of chanannot ("has no
# annotation", counted as chanannot-missing) apart from its other checks.
# With -time it also times go vet and custodyvet (both ways) on
# each module, each on its own copy of one warmed build cache:
# OUT/time.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

set_name=heldout4
timing=false
only=
while [ $# -gt 0 ]; do
  case $1 in
  -set) set_name=$2; shift 2 ;;
  -time) timing=true; shift ;;
  -only) only=,$2,; shift 2 ;;
  *) break ;;
  esac
done
out=${1:-/tmp/custodyvet-corpus}
mkdir -p "$out/src" "$out/$set_name/diag"
out=$(cd "$out" && pwd)
res=$out/$set_name

# NAME MODULE@VERSION [PACKAGES]: PACKAGES defaults to ./...
tuning=(
  "grpc google.golang.org/grpc@v1.85.0"
  "go-redis github.com/redis/go-redis/v9@v9.23.0"
  "nats.go github.com/nats-io/nats.go@v1.56.0"
  "etcd-client go.etcd.io/etcd/client/v3@v3.7.3"
  "kafka-go github.com/segmentio/kafka-go@v0.4.51"
  "sarama github.com/IBM/sarama@v1.61.1"
  "raft github.com/hashicorp/raft@v1.7.2"
)
# The first held-out run (before the second round of tuning).
heldout1=(
  "fasthttp github.com/valyala/fasthttp@v1.79.0"
  "zap go.uber.org/zap@v1.28.0"
  "watermill github.com/ThreeDotsLabs/watermill@v1.5.1"
  "memberlist github.com/hashicorp/memberlist@v0.7.0"
  "ants github.com/panjf2000/ants/v2@v2.12.1"
)
# The second held-out run: modules no rule was tuned on.
heldout2=(
  "nats-server github.com/nats-io/nats-server/v2@v2.15.3"
  "etcd-server go.etcd.io/etcd/server/v3@v3.7.3"
  "consul-api github.com/hashicorp/consul/api@v1.34.5"
  "client_golang github.com/prometheus/client_golang@v1.25.0"
  "pgx github.com/jackc/pgx/v5@v5.13.0"
  "clickhouse-go github.com/ClickHouse/clickhouse-go/v2@v2.51.0"
  "badger github.com/dgraph-io/badger/v4@v4.9.6"
  "pebble github.com/cockroachdb/pebble@v1.1.5"
  "minio-go github.com/minio/minio-go/v7@v7.4.1"
  "grpc-middleware github.com/grpc-ecosystem/go-grpc-middleware/v2@v2.3.4"
  "conc github.com/sourcegraph/conc@v0.3.0"
  "client-go k8s.io/client-go@v0.37.2 ./tools/... ./util/... ./rest/... ./transport/..."
  "amqp091 github.com/rabbitmq/amqp091-go@v1.17.0"
  "websocket github.com/gorilla/websocket@v1.5.3"
  "yamux github.com/hashicorp/yamux@v0.1.2"
  "quic-go github.com/quic-go/quic-go@v0.65.0"
  "franz-go github.com/twmb/franz-go@v1.22.3"
  "rueidis github.com/redis/rueidis@v1.0.80"
  "gocql github.com/gocql/gocql@v1.7.0"
  "ratelimit go.uber.org/ratelimit@v0.3.1"
  "asynq github.com/hibiken/asynq@v0.26.0"
  "gocron github.com/go-co-op/gocron/v2@v2.21.2"
  "ristretto github.com/dgraph-io/ristretto/v2@v2.4.2"
  "libp2p-pubsub github.com/libp2p/go-libp2p-pubsub@v0.19.0"
)
# The third held-out run: modules nobody looked at before the rules were
# fixed after the second.
heldout3=(
  "temporal-sdk go.temporal.io/sdk@v1.51.0"
  "mongo-driver go.mongodb.org/mongo-driver/v2@v2.10.0"
  "go-plugin github.com/hashicorp/go-plugin@v1.8.0"
  "cron github.com/robfig/cron/v3@v3.0.1"
  "coder-websocket github.com/coder/websocket@v1.8.15"
  "moby-client github.com/moby/moby/client@v0.6.3"
  "influxdb-client github.com/influxdata/influxdb-client-go/v2@v2.14.0"
  "centrifuge github.com/centrifugal/centrifuge@v0.40.1"
  "gnet github.com/panjf2000/gnet/v2@v2.9.7"
  "alertmanager github.com/prometheus/alertmanager@v0.35.0"
  "vm-metrics github.com/VictoriaMetrics/metrics@v1.45.0"
  "retryablehttp github.com/hashicorp/go-retryablehttp@v0.7.8"
  "bigcache github.com/allegro/bigcache/v3@v3.1.0"
  "certmagic github.com/caddyserver/certmagic@v0.25.6"
  "prometheus github.com/prometheus/prometheus@v0.316.0 ./tsdb/... ./scrape/... ./notifier/... ./rules/... ./storage/remote/..."
  "syncthing github.com/syncthing/syncthing@v1.30.0 ./lib/..."
  "go-libp2p github.com/libp2p/go-libp2p@v0.52.0"
)
# The fourth held-out run: goroutine-heavy modules nobody looked at before
# the rules were fixed after the third; its figures are the ones
# analysis/README.md gives.
heldout4=(
  "nomad-api github.com/hashicorp/nomad/api@v0.0.0-20261016150620-df630b26e78a"
  "vault-api github.com/hashicorp/vault/api@v1.23.0"
  "paho-mqtt github.com/eclipse/paho.mqtt.golang@v1.5.1"
  "paho-golang github.com/eclipse/paho.golang@v0.23.0"
  "mochi-mqtt github.com/mochi-mqtt/server/v2@v2.7.9"
  "river github.com/riverqueue/river@v0.51.2"
  "etcd-raft go.etcd.io/raft/v3@v3.7.0"
  "miekg-dns github.com/miekg/dns@v1.1.73"
  "fx go.uber.org/fx@v1.24.0"
  "psrpc github.com/livekit/psrpc@v0.8.2"
  "groupcache github.com/golang/groupcache@v0.0.0-20241129210726-2c02b8208cf8"
  "fastcache github.com/VictoriaMetrics/fastcache@v1.13.2"
  "redigo github.com/gomodule/redigo@v1.9.3"
  "mysql github.com/go-sql-driver/mysql@v1.10.2"
  "neo4j github.com/neo4j/neo4j-go-driver/v5@v5.28.4"
  "otel-sdk go.opentelemetry.io/otel/sdk@v1.47.0"
  "otel-sdk-metric go.opentelemetry.io/otel/sdk/metric@v1.47.0"
  "batchprocessor go.opentelemetry.io/collector/processor/batchprocessor@v0.165.0"
  "sipgo github.com/emiago/sipgo@v1.7.3"
  "mdns github.com/hashicorp/mdns@v1.0.7"
  "kad-dht github.com/libp2p/go-libp2p-kad-dht@v0.42.2"
  "goleveldb github.com/syndtr/goleveldb@v1.0.0"
  "miniredis github.com/alicebob/miniredis/v2@v2.40.0"
  "eventstore github.com/EventStore/EventStore-Client-Go/v4@v4.2.0"
  "rocketmq github.com/apache/rocketmq-client-go/v2@v2.1.3-0.20251226070945-2173d070fd1b"
  "seaweedfs-raft github.com/seaweedfs/raft@v1.2.4"
  "go-control-plane github.com/envoyproxy/go-control-plane@v0.14.0 ./pkg/..."
  "apimachinery k8s.io/apimachinery@v0.37.2 ./pkg/util/... ./pkg/watch/..."
  "socketio-engine github.com/zishang520/socket.io/servers/engine/v3@v3.0.6"
  "go-ethereum github.com/ethereum/go-ethereum@v1.17.10 ./p2p/... ./event/... ./eth/downloader/... ./eth/fetcher/... ./core/txpool/..."
  "cilium-ebpf github.com/cilium/ebpf@v0.22.0"
  "statedb github.com/cilium/statedb@v0.9.4"
  "virtual-kubelet github.com/virtual-kubelet/virtual-kubelet@v1.14.1"
  "goproxy github.com/elazarl/goproxy@v1.9.4"
  "livekit-sdk github.com/livekit/server-sdk-go/v2@v2.20.0"
  "raft-boltdb github.com/hashicorp/raft-boltdb/v2@v2.3.1"
  "gue github.com/vgarvardt/gue/v5@v5.8.0"
  "buntdb github.com/tidwall/buntdb@v1.3.0"
  "evio github.com/tidwall/evio@v1.0.8"
  "caddy github.com/caddyserver/caddy/v2@v2.11.9"
  "apiserver k8s.io/apiserver@v0.37.2 ./pkg/server/... ./pkg/storage/... ./pkg/util/... ./pkg/endpoints/..."
  "go-mysql-server github.com/dolthub/go-mysql-server@v0.20.0 ./server/... ./sql/rowexec/... ./sql/planbuilder/... ./memory/..."
  "otelcol-service go.opentelemetry.io/collector/service@v0.165.0"
  "livekit-protocol github.com/livekit/protocol@v1.54.1 ./utils/... ./rpc/... ./redis/... ./logger/..."
)
case $set_name in
tuning) mods=("${tuning[@]}") ;;
heldout1) mods=("${heldout1[@]}") ;;
heldout2) mods=("${heldout2[@]}") ;;
heldout3) mods=("${heldout3[@]}") ;;
heldout4) mods=("${heldout4[@]}") ;;
all) mods=("${tuning[@]}" "${heldout1[@]}" "${heldout2[@]}" "${heldout3[@]}" "${heldout4[@]}") ;;
*) echo "unknown set $set_name" >&2; exit 2 ;;
esac

go build -o "$out/custodyvet" ./cmd/custodyvet
# flatten: custodyvet -json on stdin, one line per diagnostic out (RULE,
# file:line:col relative to the module, message), sorted, without the
# duplicates that a package's test variant repeats. The annotation
# requirement of chanannot is counted as "chanannot-missing".
mkdir -p "$out/flatten.src"
cat >"$out/flatten.src/main.go" <<'GO'
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	var all map[string]map[string]json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&all); err != nil {
		fmt.Fprintln(os.Stderr, "flatten:", err)
		os.Exit(1)
	}
	seen := map[string]bool{}
	var lines []string
	for _, byRule := range all {
		for rule, raw := range byRule {
			var ds []struct{ Posn, Message string }
			if json.Unmarshal(raw, &ds) != nil {
				continue // {"error": ...}: the package did not load
			}
			for _, d := range ds {
				r := rule
				if r == "chanannot" && strings.Contains(d.Message, "has no annotation") {
					r = "chanannot-missing"
				}
				l := r + "\t" + strings.TrimPrefix(d.Posn, os.Args[1]) + "\t" + d.Message
				if !seen[l] {
					seen[l] = true
					lines = append(lines, l)
				}
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}
GO
(cd "$out/flatten.src" && printf 'module flatten\n\ngo 1.26\n' >go.mod && GOWORK=off go build -o "$out/flatten" .)
export GOWORK=off GOFLAGS=-mod=mod

# prepare NAME MOD@VER: a writable copy of the module in $out/src/NAME.
prepare() {
  local name=$1 modver=$2 dir
  [ -f "$out/src/$name/go.mod" ] && return 0
  dir=$(cd /tmp && GOFLAGS= go mod download -json "$modver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$out/src/$name"
  cp -r "$dir" "$out/src/$name"
  chmod -R u+w "$out/src/$name"
  # A replace that points at a directory (../api) names a sibling module of
  # the same repository, which the proxy's zip does not hold: use the
  # required version instead.
  (cd "$out/src/$name" &&
    go mod edit -json | sed -n '/"Replace"/,$p' |
    awk '/"Old"/{o=1} o&&/"Path"/{gsub(/[",]/,"",$2); p=$2; o=0} /"New"/{n=1} n&&/"Path"/{gsub(/[",]/,"",$2); if ($2 ~ /^[.\/]/) print p; n=0}' |
      while read -r old; do go mod edit -dropreplace="$old"; done
    go mod download >/dev/null 2>&1 || true)
}

printf 'module\trule\tdiagnostics\n' >"$res/summary.tsv"
$timing && printf 'module\tpackages\tgo vet (s)\tgo vet -vettool=custodyvet (s)\tcustodyvet (s)\tvettool/vet\tcustodyvet/vet\n' >"$res/time.tsv"
for entry in "${mods[@]}"; do
  read -r name modver pkgs <<<"$entry"
  [ -z "$only" ] || [[ $only == *",$name,"* ]] || continue
  pkgs=${pkgs:-./...}
  echo "== $name ($modver)"
  prepare "$name" "$modver"
  # shellcheck disable=SC2086 # pkgs is a list of patterns
  (cd "$out/src/$name" && "$out/custodyvet" -json $pkgs >"$res/diag/$name.json" 2>"$res/diag/$name.err") || true
  "$out/flatten" "$out/src/$name/" <"$res/diag/$name.json" >"$res/diag/$name.tsv"
  cut -f1 "$res/diag/$name.tsv" | sort | uniq -c | awk -v m="$name" '{printf "%s\t%s\t%d\n", m, $2, $1}' >>"$res/summary.tsv"
  grep -v '^#' "$res/diag/$name.err" | head -3 || true

  if $timing; then
    # One warmed cache, copied afresh for each run, so that no run finds
    # another's vet results; the runs are timed one after the other.
    warm=$out/cache/$name
    rm -rf "$warm"
    mkdir -p "$warm"
    (cd "$out/src/$name" && GOCACHE=$warm/base go build $pkgs >/dev/null 2>&1 &&
      GOCACHE=$warm/base go test -run='^$' -count=1 $pkgs >/dev/null 2>&1) || true
    n=$(cd "$out/src/$name" && go list $pkgs 2>/dev/null | wc -l)
    t() { # t CACHE CMD...: seconds CMD takes
      rm -rf "$warm/$1"; cp -r "$warm/base" "$warm/$1"; local c=$1; shift
      local s e; s=$(date +%s.%N)
      (cd "$out/src/$name" && GOCACHE=$warm/$c "$@" >/dev/null 2>&1) || true
      e=$(date +%s.%N); echo "$e - $s" | bc
    }
    vet=$(t vet go vet $pkgs)
    tool=$(t tool go vet -vettool="$out/custodyvet" $pkgs)
    cv=$(t cv "$out/custodyvet" $pkgs)
    printf '%s\t%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\n' "$name" "$n" "$vet" "$tool" "$cv" \
      "$(echo "$tool / $vet" | bc -l)" "$(echo "$cv / $vet" | bc -l)" | tee -a "$res/time.tsv"
    rm -rf "$warm"
  fi
done
echo "== per module and rule ($res/summary.tsv)"
column -t -s $'\t' "$res/summary.tsv"
