#!/usr/bin/env bash
# A private RabbitMQ broker with Web-STOMP for tests (groundwork for the STOMP issue):
#   scripts/rabbitmq.sh start   starts it (idempotent), waits until it answers, prints its URLs
#   scripts/rabbitmq.sh stop    stops it and the epmd it started
#   scripts/rabbitmq.sh status  exit 0 if it runs
# Faults and clean-up for tests (tests/e2e/stomp.test.mjs):
#   scripts/rabbitmq.sh close-all [REASON]     closes every client connection, Web-STOMP included
#                                              (the browser sees 1000 "STOMP died", no ERROR frame)
#   scripts/rabbitmq.sh freeze                 SIGSTOP of the broker's beam.smp: a half-open peer
#                                              (sockets stay open, nothing answers); prints its pid
#   scripts/rabbitmq.sh thaw                   SIGCONT of it (also done by stop)
#   scripts/rabbitmq.sh delete-queues PREFIX   deletes every queue of vhost / whose name starts with PREFIX
# Loopback only; state, logs, config, plugins file and Erlang cookie under $RMQ_DIR
# (default build/rabbitmq), so runs never touch a system broker. Ports (env): RMQ_AMQP_PORT
# (5672), RMQ_STOMP_PORT (61613), RMQ_WS_PORT (15674), RMQ_DIST_PORT (25672), RMQ_EPMD_PORT
# (43690: a private epmd, never the system's 4369). Facts this relies on: ../shared/PEERS.md ("RabbitMQ 3.10.8 with Web-STOMP").
# Web-STOMP: ws://127.0.0.1:$RMQ_WS_PORT/ws, subprotocol v12.stomp, guest/guest; binary WebSocket
# frames (web_stomp.ws_frame = binary), so non-UTF-8 bodies survive.
set -euo pipefail
cd "$(dirname "$0")/.."
RMQ_DIR=${RMQ_DIR:-build/rabbitmq}
mkdir -p "$RMQ_DIR"
RMQ_DIR=$(cd "$RMQ_DIR" && pwd)
NODE=${RMQ_NODE:-steadysocket@localhost}
AMQP=${RMQ_AMQP_PORT:-5672} STOMP=${RMQ_STOMP_PORT:-61613} WS=${RMQ_WS_PORT:-15674}
export RABBITMQ_NODENAME=$NODE
export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log"
export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
export RABBITMQ_DIST_PORT=${RMQ_DIST_PORT:-25672} ERL_EPMD_PORT=${RMQ_EPMD_PORT:-43690}
# A private HOME: the Erlang cookie shared by the server and rabbitmqctl lives there.
export HOME="$RMQ_DIR/home"
# Keep idle Erlang schedulers from spinning on 2 cores.
# Loopback only, distribution and epmd included.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1
mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
log() { printf '[rabbitmq] %s\n' "$*" >&2; }
# Debian's /usr/sbin wrappers switch to the `rabbitmq` user (who cannot write our private dirs
# and has another cookie); the scripts in /usr/lib/rabbitmq/bin run as the caller.
BIN=/usr/lib/rabbitmq/bin
[ -x "$BIN/rabbitmq-server" ] || BIN=$(dirname "$(command -v rabbitmq-server 2>/dev/null || echo /usr/sbin/x)")
ctl() { "$BIN/rabbitmqctl" -n "$NODE" "$@"; }

running() { ctl status >/dev/null 2>&1; }
FROZEN="$RMQ_DIR/frozen.pid"
# The broker's Erlang VM (beam.smp): asked of the node itself (exact, whatever the process tree
# looks like), checked to be a live beam.smp before we signal it.
beam_pid() {
  local pid
  pid=$(ctl eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -dc '0-9')
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = beam.smp ] || return 1
  echo "$pid"
}
thaw() {
  if [ -s "$FROZEN" ]; then
    kill -CONT "$(cat "$FROZEN")" 2>/dev/null || true
    rm -f "$FROZEN"
    log "thawed"
  fi
}

case "${1:-}" in
  start)
    [ -x "$BIN/rabbitmq-server" ] || { echo "rabbitmq.sh: rabbitmq-server missing; run scripts/bootstrap.sh" >&2; exit 1; }
    if running; then log "already running ($NODE)"; else
      cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.1 = 127.0.0.1:$AMQP
stomp.listeners.tcp.1 = 127.0.0.1:$STOMP
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $WS
web_stomp.ws_frame = binary
EOF
      "$BIN/rabbitmq-plugins" --offline enable rabbitmq_web_stomp >/dev/null
      "$BIN/rabbitmq-server" >"$RMQ_DIR/server.out" 2>&1 &
      echo $! >"$RMQ_DIR/server.pid"
      # await_startup fails at once while the node is not registered yet: poll it (90 s cap).
      up=0 deadline=$((SECONDS + 90))
      while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$(cat "$RMQ_DIR/server.pid")" 2>/dev/null; do
        if ctl await_startup --timeout 10 >/dev/null 2>&1; then up=1; break; fi
        sleep 0.5
      done
      if [ "$up" != 1 ]; then
        log "did not start within 90 s; last lines of $RMQ_DIR/server.out:"; tail -20 "$RMQ_DIR/server.out" >&2; exit 1
      fi
      log "started $NODE"
    fi
    echo "ws://127.0.0.1:$WS/ws stomp://127.0.0.1:$STOMP amqp://127.0.0.1:$AMQP"
    ;;
  stop)
    thaw
    if running; then ctl stop >/dev/null 2>&1 || true; log "stopped $NODE"; fi
    if [ -s "$RMQ_DIR/server.pid" ]; then
      pid=$(cat "$RMQ_DIR/server.pid")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$RMQ_DIR/server.pid"
    fi
    # Our private epmd (its port is ours alone); it refuses if a node is still registered.
    epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n1)
    [ -z "$epmd" ] || "$epmd" -kill >/dev/null 2>&1 || true
    ;;
  status) running ;;
  close-all)
    ctl close_all_connections "${2:-closed by scripts/rabbitmq.sh close-all}" >/dev/null
    ;;
  freeze)
    [ ! -s "$FROZEN" ] || { log "already frozen (pid $(cat "$FROZEN"))"; cat "$FROZEN"; exit 0; }
    pid=$(beam_pid) || { echo "rabbitmq.sh: broker not running (no beam.smp pid from $NODE)" >&2; exit 1; }
    echo "$pid" >"$FROZEN"
    kill -STOP "$pid"
    log "frozen (beam.smp pid $pid)"
    echo "$pid"
    ;;
  thaw) thaw ;;
  delete-queues)
    prefix=${2:?usage: scripts/rabbitmq.sh delete-queues PREFIX}
    case "$prefix" in *[!A-Za-z0-9._-]*) echo "rabbitmq.sh: PREFIX may hold only A-Z a-z 0-9 . _ -" >&2; exit 2 ;; esac
    # One eval on the node (a rabbitmqctl call per queue costs ~0.6 s each).
    n=$(ctl eval "P = <<\"$prefix\">>,
      Qs = [Q || Q <- rabbit_amqqueue:list(<<\"/\">>),
                 binary:longest_common_prefix([element(4, amqqueue:get_name(Q)), P]) =:= byte_size(P)],
      [rabbit_amqqueue:delete(Q, false, false, <<\"rabbitmq.sh\">>) || Q <- Qs],
      length(Qs).")
    log "deleted $n queue(s) named $prefix*"
    ;;
  *) echo "usage: scripts/rabbitmq.sh start|stop|status|close-all [REASON]|freeze|thaw|delete-queues PREFIX" >&2; exit 2 ;;
esac
