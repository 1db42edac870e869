#!/usr/bin/env bash
# The body of `make bench`: builds pkg/ (scripts/build-pkg.sh) and the release reference
# server, bundles the contenders (tests/bench/bundle.mjs -> www/bench/vendor/, git-ignored),
# starts the reference server and the socket.io server, runs tests/bench/run.mjs (headless
# Chromium), prints the table and writes target/bench/results.json. Servers are stopped on exit.
# For the STOMP metrics (S1, S2) it also starts a private RabbitMQ with Web-STOMP
# (scripts/rabbitmq.sh, its own node name, ports and state under the temp dir, so it never
# meets the broker of a concurrent `make test`) and stops it on exit.
# I1 (steadysocket/socketio vs socket.io-client: tests/bench/sio-compare.mjs, results in
# target/bench/sio-compare.json), J1 (steadysocket/sockjs vs sockjs-client:
# tests/bench/sockjs-compare.mjs, which starts its own SockJS server, tests/e2e/sockjs-test-server.mjs;
# results in target/bench/sockjs-compare.json), K1 (the `shared` option: tabs sharing one connection,
# BroadcastChannel vs SharedWorker, takeover, server connections with N tabs:
# tests/bench/shared-compare.mjs, with www/bench/shared-sw.js; results in
# target/bench/shared-compare.json) and T1 (the transports comparison: WebSocket vs SSE vs long polling vs naive polling, through a
# byte-counting proxy) is tests/bench/transports.mjs against the same reference server; it writes
# target/bench/transports.json, www/bench/transports-results.json and www/screenshots/transports.png.
# Env: BENCH_BASELINE_PKG=DIR (an earlier pkg/ build measured side by side),
#      BENCH_ROUNDS (default 5), BENCH_ONLY (e.g. P2,P3 or T1), SKIP_BUILD=1 (reuse pkg/ and the
#      release server), BENCH_DOWN_MS (P4 outage, default 1000), BENCH_N (P2/P3 messages, 10000),
#      BENCH_STOMP_N (S1 messages, 5000), BENCH_STOMP_K (S2 round trips, 500), BENCH_STOMP_BYTES
#      (body, 100), BENCH_STOMP_HB (heart-beat for both clients, "10000,10000"),
#      BENCH_RMQ_WS_PORT (the bench broker's Web-STOMP port, 15675; its other ports: 5673,
#      61614, 25673, epmd 43691); T1: BENCH_T_M, BENCH_T_RATE, BENCH_T_N, BENCH_POLL_MS,
#      BENCH_T_IDLE_MS, BENCH_T_ONLY, BENCH_T_OUTPUTS (tests/bench/transports.mjs's header);
#      J1: BENCH_SJ_N, BENCH_SJ_K, BENCH_SJ_TRANSPORTS (tests/bench/sockjs-compare.mjs's header);
#      K1: BENCH_K1_K, BENCH_K1_R, BENCH_K1_N, BENCH_K1_TABS, BENCH_K1_TAKEOVERS
#      (tests/bench/shared-compare.mjs's header);
#      BENCH_SERVER=BIN (a steadysocket-server binary instead of the release build, e.g.
#      SKIP_BUILD=1 BENCH_SERVER=target/debug/steadysocket-server BENCH_ONLY=J1: I1 and J1 only
#      use it as a static file server).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[bench] %s\n' "$*" >&2; }
T0=$SECONDS

TMP=$(mktemp -d "${TMPDIR:-/tmp}/steadysocket-bench.XXXXXX")
PIDS=()
RABBITMQ=""
cleanup() {
  local pid
  if [ -n "$RABBITMQ" ]; then scripts/rabbitmq.sh stop || true; fi
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x node_modules/.bin/esbuild ] && [ -d node_modules/socket.io ] && [ -d node_modules/sockjs-client ] || {
  log "npm dev dependencies missing: npm ci"; npm ci --no-audit --no-fund; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building pkg/ (scripts/build-pkg.sh)"
  scripts/build-pkg.sh
  log "building the release reference server"
  cargo build --release -q -p steadysocket-server
fi
TARGET_DIR=$(cargo metadata --no-deps --format-version 1 --offline \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
SERVER=${BENCH_SERVER:-$TARGET_DIR/release/steadysocket-server}
[ -x "$SERVER" ] || { echo "bench: $SERVER missing (run without SKIP_BUILD=1)" >&2; exit 1; }

# A private snapshot of pkg/ to serve and measure: pkg/ may be rebuilt (rm -rf + build)
# by someone else while the benchmark runs. www/ is linked, not copied.
mkdir -p "$TMP/root"
for _ in $(seq 20); do
  rm -rf "$TMP/root/pkg"
  cp -R pkg "$TMP/root/pkg" 2>/dev/null && [ -s "$TMP/root/pkg/steadysocket_bg.wasm" ] \
    && [ -s "$TMP/root/pkg/steadysocket.js" ] && [ -s "$TMP/root/pkg/package.json" ] && break
  log "pkg/ is incomplete (being rebuilt?), retrying"; sleep 3
done
[ -s "$TMP/root/pkg/steadysocket_bg.wasm" ] || { echo "bench: no complete pkg/ to benchmark" >&2; exit 1; }
ln -s "$(pwd)/www" "$TMP/root/www"
# BENCH_BASELINE_PKG=DIR: an earlier build of pkg/, served at /pkg/baseline/ and measured as the
# contender "steadysocket@baseline" in the same run.
if [ -n "${BENCH_BASELINE_PKG:-}" ]; then
  cp -R "$BENCH_BASELINE_PKG" "$TMP/root/pkg/baseline"
  export BENCH_BASELINE=1
fi
export BENCH_PKG_DIR="$TMP/root/pkg"

log "bundling contenders (esbuild) into www/bench/vendor/"
node tests/bench/bundle.mjs >/dev/null

wait_port() { # wait_port FILE PID NAME
  for _ in $(seq 300); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench: $3 exited; see $TMP/$3.log" >&2; cat "$TMP/$3.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: $3 did not start within 30 s" >&2; exit 1
}
"$SERVER" --port 0 --port-file "$TMP/ref.port" --root "$TMP/root" >"$TMP/ref.log" 2>&1 &
PIDS+=($!); wait_port "$TMP/ref.port" "$!" ref
node tests/bench/sio-server.mjs --port 0 --port-file "$TMP/sio.port" >"$TMP/sio.log" 2>&1 &
PIDS+=($!); wait_port "$TMP/sio.port" "$!" sio

export BENCH_URL="http://127.0.0.1:$(cat "$TMP/ref.port")"
export SIO_URL="http://127.0.0.1:$(cat "$TMP/sio.port")"
log "reference server $BENCH_URL, socket.io server $SIO_URL"

# The STOMP metrics need a broker: a private one for this run (fresh state under $TMP).
case ",${BENCH_ONLY:-S1}," in
  *,S1,*|*,S2,*)
    export RMQ_DIR="$TMP/rabbitmq" RMQ_NODE="steadysocket-bench-$$@localhost"
    export RMQ_WS_PORT=${BENCH_RMQ_WS_PORT:-15675} RMQ_AMQP_PORT=5673 RMQ_STOMP_PORT=61614
    export RMQ_DIST_PORT=25673 RMQ_EPMD_PORT=43691
    if (exec 3<>"/dev/tcp/127.0.0.1/$RMQ_WS_PORT") 2>/dev/null; then
      echo "bench: port $RMQ_WS_PORT is taken (another make bench?); set BENCH_RMQ_WS_PORT" >&2; exit 1
    fi
    log "starting RabbitMQ (scripts/rabbitmq.sh, node $RMQ_NODE)"
    RABBITMQ=1
    scripts/rabbitmq.sh start >/dev/null
    export BENCH_STOMP_URL="ws://127.0.0.1:$RMQ_WS_PORT/ws"
    export BENCH_RMQ_LOG_DIR="$RMQ_DIR/log"
    BENCH_RABBITMQ_VERSION=$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)
    export BENCH_RABBITMQ_VERSION
    log "RabbitMQ $BENCH_RABBITMQ_VERSION, Web-STOMP $BENCH_STOMP_URL"
    ;;
esac
# tests/bench/run.mjs: every metric but T1 (its own default list when BENCH_ONLY is unset).
if [ -z "${BENCH_ONLY:-}" ] || printf '%s\n' "${BENCH_ONLY//,/$'\n'}" | grep -qvE '^(T1|I1|J1|K1)$'; then
  node tests/bench/run.mjs
fi
case ",${BENCH_ONLY:-T1}," in
  *,T1,*) log "T1: transports (tests/bench/transports.mjs)"; node tests/bench/transports.mjs ;;
esac
# I1: steadysocket/socketio vs socket.io-client against the same socket.io server.
case ",${BENCH_ONLY:-I1}," in
  *,I1,*)
    log "I1: Socket.IO (tests/bench/sio-compare.mjs)"
    mkdir -p target/bench
    STEADYSOCKET_SERVER=$BENCH_URL node tests/bench/sio-compare.mjs | tee target/bench/sio-compare.json ;;
esac
# J1: steadysocket/sockjs vs sockjs-client per SockJS transport, against a real SockJS server
# (npm sockjs) the script starts itself; it prints the JSON and writes target/bench/sockjs-compare.json.
case ",${BENCH_ONLY:-J1}," in
  *,J1,*)
    log "J1: SockJS (tests/bench/sockjs-compare.mjs)"
    STEADYSOCKET_SERVER=$BENCH_URL node tests/bench/sockjs-compare.mjs ;;
esac
# K1: the `shared` option (one connection for N tabs): tabs are pages of one browser context
# against the reference server; it prints the JSON and writes target/bench/shared-compare.json.
case ",${BENCH_ONLY:-K1}," in
  *,K1,*)
    log "K1: shared connection (tests/bench/shared-compare.mjs)"
    STEADYSOCKET_SERVER=$BENCH_URL node tests/bench/shared-compare.mjs ;;
esac
log "done in $((SECONDS - T0)) s"
