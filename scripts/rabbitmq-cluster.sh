#!/usr/bin/env bash
# A private 3-node RabbitMQ cluster with Web-STOMP on one machine, for failover tests (issue 18):
#   scripts/rabbitmq-cluster.sh start          starts nodes a, b, c in parallel (idempotent: a healthy
#                                              cluster is kept; anything else is stopped and started
#                                              afresh from empty state), b and c join_cluster a, waits
#                                              until cluster_status shows 3 running nodes, prints the
#                                              `NODE WS_URL STOMP_PORT` lines (stdout)
#   scripts/rabbitmq-cluster.sh stop           stops all nodes and the private epmd (idempotent; SIGKILLs
#                                              what does not stop; removes pid files)
#   scripts/rabbitmq-cluster.sh status         exit 0 if 3 nodes run clustered; logs how many run
#   scripts/rabbitmq-cluster.sh urls           the `NODE WS_URL STOMP_PORT` lines again
#   scripts/rabbitmq-cluster.sh pid NODE       beam.smp pid of NODE
#   scripts/rabbitmq-cluster.sh kill NODE      SIGKILL of NODE's beam.smp (by pid); prints the pid
#   scripts/rabbitmq-cluster.sh restart NODE   starts NODE again with its state (it rejoins the
#                                              cluster by itself); waits until 3 nodes run
#   scripts/rabbitmq-cluster.sh delete-queues PREFIX   deletes every queue of vhost / named PREFIX*
#   scripts/rabbitmq-cluster.sh ctl NODE ARGS...      rabbitmqctl -n NODE ARGS... (with the cluster's env)
#   scripts/rabbitmq-cluster.sh queues NODE ARGS...   rabbitmq-queues -n NODE ARGS... (e.g. quorum_status Q)
# NODE is a, b, c or the full node name (e.g. ssa@localhost). Timings go to stderr (log lines).
# Env: CLUSTER_NODE_PREFIX (ss: nodes ssa@localhost, ssb@localhost, ssc@localhost; never the
# single-node test broker steadysocket@localhost), CLUSTER_DIR (build/rabbitmq-cluster),
# CLUSTER_PORT_BASE (21000, below Linux's ephemeral range 32768-60999). Ports, node i = 0,1,2:
#   AMQP base+10i, STOMP base+10i+1, Web-STOMP base+10i+2, Erlang dist base+10i+3,
#   private epmd base+40, rabbitmqctl's own dist ports base+50..base+69.
# Defaults 21000.. never collide with scripts/rabbitmq.sh (5672/61613/15674/25672/43690, CLI
# 35672-35682) nor bench's (5673/61614/15675/25673/43691).
# Conventions as scripts/rabbitmq.sh: loopback only; per-node state, logs, config and plugins file
# under $CLUSTER_DIR/<node>/; one shared Erlang cookie in a private HOME ($CLUSTER_DIR/home);
# Debian's /usr/lib/rabbitmq/bin scripts run as the caller. ~150 MiB RSS per node.
# Facts this relies on: ../shared/PEERS.md ("A 3-node RabbitMQ cluster on one machine");
# checked by tests/peers/cluster-facts.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
CDIR=${CLUSTER_DIR:-build/rabbitmq-cluster}
mkdir -p "$CDIR"
CDIR=$(cd "$CDIR" && pwd)
PREFIX=${CLUSTER_NODE_PREFIX:-ss}
BASE=${CLUSTER_PORT_BASE:-21000}
LETTERS=(a b c)
EPMD_PORT=$((BASE + 40))
export ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CTL_DIST_PORT_MIN=$((BASE + 50)) RABBITMQ_CTL_DIST_PORT_MAX=$((BASE + 69))
# A private HOME: the Erlang cookie shared by the three nodes and rabbitmqctl lives there.
export HOME="$CDIR/home"
mkdir -p "$HOME"
if [ ! -s "$HOME/.erlang.cookie" ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f | tr a-f A-Z >"$HOME/.erlang.cookie")
  chmod 400 "$HOME/.erlang.cookie"
fi
# Idle Erlang schedulers must not spin on 2 cores; distribution on loopback only.
# The private epmd on $EPMD_PORT: every rabbitmqctl call starts one (`epmd -daemon`, even with
# -start_epmd false) if none runs, so we do not own its pid; stop ends it with `epmd -kill`
# (our port only) and, failing that, by the pid `ss` shows listening on our port.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}"
log() { printf '[rabbitmq-cluster] %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
# Debian's /usr/sbin wrappers switch to the `rabbitmq` user (who cannot write our private dirs
# and has another cookie); the scripts in /usr/lib/rabbitmq/bin run as the caller.
BIN=/usr/lib/rabbitmq/bin
[ -x "$BIN/rabbitmq-server" ] || BIN=$(dirname "$(command -v rabbitmq-server 2>/dev/null || echo /usr/sbin/x)")
EPMD_BIN=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n1 || true)
[ -n "$EPMD_BIN" ] || EPMD_BIN=$(command -v epmd || echo epmd)

idx() { # a|b|c|full name -> 0|1|2
  case "$1" in
    a | "${PREFIX}a@localhost") echo 0 ;; b | "${PREFIX}b@localhost") echo 1 ;; c | "${PREFIX}c@localhost") echo 2 ;;
    *) echo "rabbitmq-cluster.sh: unknown node '$1' (a, b, c or ${PREFIX}a@localhost ...)" >&2; return 2 ;;
  esac
}
name() { echo "${PREFIX}${LETTERS[$1]}@localhost"; }
port() { # port I KIND
  case "$2" in amqp) echo $((BASE + 10 * $1)) ;; stomp) echo $((BASE + 10 * $1 + 1)) ;;
    ws) echo $((BASE + 10 * $1 + 2)) ;; dist) echo $((BASE + 10 * $1 + 3)) ;; esac
}
ndir() { echo "$CDIR/${LETTERS[$1]}"; }
# The environment of node I for rabbitmq-server and rabbitmqctl (run in a subshell).
node_env() {
  local d
  d=$(ndir "$1")
  export RABBITMQ_NODENAME
  RABBITMQ_NODENAME=$(name "$1")
  export RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log"
  export RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
  export RABBITMQ_DIST_PORT
  RABBITMQ_DIST_PORT=$(port "$1" dist)
}
ctl() { local i=$1; shift; (node_env "$i"; "$BIN/rabbitmqctl" -n "$(name "$i")" "$@"); }
# No node of ours runs without our epmd: check its port first (free; a rabbitmqctl call costs ~1 s
# and starts an epmd if none listens).
epmd_up() { (exec 3<>"/dev/tcp/127.0.0.1/$EPMD_PORT") 2>/dev/null; }
running() { epmd_up && ctl "$1" status >/dev/null 2>&1; }
# The node's Erlang VM, asked of the node itself, checked to be a live beam.smp.
beam_pid() {
  local pid
  pid=$(ctl "$1" eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -dc '0-9')
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = beam.smp ] || return 1
  echo "$pid"
}
# Number of running cluster members as seen by the first node that answers (any may be dead).
running_count() {
  local i out
  epmd_up || { echo 0; return 0; }
  for i in 0 1 2; do
    out=$(ctl "$i" cluster_status --formatter json 2>/dev/null) || continue
    # {"running_nodes":["ssa@localhost",...], ...}
    printf '%s' "$out" | tr -d '\n' | sed -n 's/.*"running_nodes":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | grep -c @ || true
    return 0
  done
  echo 0
}
wait_running() { # wait_running N TIMEOUT_S
  local deadline=$((SECONDS + $2)) n=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    n=$(running_count)
    [ "$n" -ge "$1" ] && return 0
    sleep 0.3
  done
  log "cluster_status shows $n running node(s), not $1, after $2 s"
  return 1
}

epmd_pid() { # the epmd listening on our port, if any
  local pid
  pid=$(ss -ltnpH "sport = :$EPMD_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | tr -dc 0-9)
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = epmd ] || return 1
  echo "$pid"
}
start_epmd() {
  (exec 3<>"/dev/tcp/127.0.0.1/$EPMD_PORT") 2>/dev/null && return 0
  "$EPMD_BIN" -daemon -port "$EPMD_PORT" -address 127.0.0.1
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$EPMD_PORT") 2>/dev/null && return 0; sleep 0.1; done
  echo "rabbitmq-cluster.sh: epmd did not listen on $EPMD_PORT" >&2; exit 1
}
stop_epmd() {
  "$EPMD_BIN" -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
  local pid
  for _ in $(seq 20); do pid=$(epmd_pid) || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  log "SIGKILLed epmd pid $pid (port $EPMD_PORT)"
}

# Boots node I with whatever state it has; waits until it runs (90 s cap); records its beam pid.
boot() {
  local i=$1 d t0 up=0 deadline
  d=$(ndir "$i")
  t0=$(now_ms)
  mkdir -p "$d/mnesia" "$d/log"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(port "$i" amqp)
stomp.listeners.tcp.1 = 127.0.0.1:$(port "$i" stomp)
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $(port "$i" ws)
web_stomp.ws_frame = binary
EOF
  (node_env "$i"; "$BIN/rabbitmq-plugins" --offline enable rabbitmq_web_stomp >/dev/null)
  (node_env "$i"; exec setsid "$BIN/rabbitmq-server" </dev/null >>"$d/server.out" 2>&1) &
  echo $! >"$d/server.pid"
  # Web-STOMP listens late in the boot: poll its port (free), then await_startup (a CLI call costs
  # ~1 s of CPU; three nodes polling with it slow each other's boot on 2 cores). await_startup
  # fails at once while the node is not registered with epmd yet, hence the loop.
  deadline=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$(cat "$d/server.pid")" 2>/dev/null; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$(port "$i" ws)") 2>/dev/null &&
      ctl "$i" await_startup --timeout 10 >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  if [ "$up" != 1 ]; then
    log "$(name "$i") did not start within 90 s; last lines of $d/server.out:"; tail -20 "$d/server.out" >&2; return 1
  fi
  beam_pid "$i" >"$d/beam.pid" || true
  log "$(name "$i") up in $(($(now_ms) - t0)) ms (beam pid $(cat "$d/beam.pid"))"
}

# Stops node I: rabbitmqctl stop, then SIGKILL of whatever of it is left.
stop_node() {
  local i=$1 d pid
  d=$(ndir "$i")
  if running "$i"; then ctl "$i" stop >/dev/null 2>&1 || true; fi
  for f in "$d/beam.pid" "$d/server.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    # Only a process that still is ours: a beam.smp / the server's shell wrapper.
    if kill -0 "$pid" 2>/dev/null && grep -q "$(name "$i")\|rabbitmq-server" "/proc/$pid/cmdline" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      log "SIGKILLed leftover pid $pid of $(name "$i")"
    fi
    rm -f "$f"
  done
}

stop_all() {
  local i
  for i in 0 1 2; do stop_node "$i" & done
  wait
  stop_epmd
}

urls() {
  local i
  for i in 0 1 2; do echo "$(name "$i") ws://127.0.0.1:$(port "$i" ws)/ws $(port "$i" stomp)"; done
}

healthy() { [ "$(running_count)" -ge 3 ]; }

case "${1:-}" in
  start)
    [ -x "$BIN/rabbitmq-server" ] || { echo "rabbitmq-cluster.sh: rabbitmq-server missing; run scripts/bootstrap.sh" >&2; exit 1; }
    T0=$(now_ms)
    # Nothing of ours runs (no epmd on our port, no live pid file): skip the CLI probes (~1 s each).
    alive=0
    for i in 0 1 2; do for f in "$(ndir "$i")/beam.pid" "$(ndir "$i")/server.pid"; do
      [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
    done; done
    if [ "$alive" = 1 ] || epmd_pid >/dev/null; then
      if healthy; then log "already running (3 nodes)"; urls; exit 0; fi
      # Anything half-up (a killed node, a failed start) is discarded: a fresh cluster from empty state.
      stop_all
    fi
    for i in 0 1 2; do
      d=$(ndir "$i")
      rm -rf "$d/mnesia"
      for k in amqp stomp ws dist; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$(port "$i" $k)") 2>/dev/null; then
          echo "rabbitmq-cluster.sh: port $(port "$i" $k) ($k of $(name "$i")) is taken; set CLUSTER_PORT_BASE" >&2; exit 1
        fi
      done
    done
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$EPMD_PORT") 2>/dev/null; then :; elif ! epmd_pid >/dev/null; then
      echo "rabbitmq-cluster.sh: port $EPMD_PORT (epmd) is taken by another process; set CLUSTER_PORT_BASE" >&2; exit 1
    fi
    start_epmd
    pids=()
    for i in 0 1 2; do boot "$i" & pids+=($!); done
    ok=1
    for p in "${pids[@]}"; do wait "$p" || ok=0; done
    if [ "$ok" != 1 ]; then log "a node did not start; stopping all"; stop_all; exit 1; fi
    T1=$(now_ms)
    for i in 1 2; do
      tj=$(now_ms) joined=0
      for attempt in 1 2 3; do
        if ctl "$i" stop_app >/dev/null && ctl "$i" join_cluster "$(name 0)" >/dev/null &&
          ctl "$i" start_app >/dev/null; then joined=1; break; fi
        log "$(name "$i"): join_cluster $(name 0) failed (attempt $attempt)"
        ctl "$i" start_app >/dev/null 2>&1 || true
        sleep 1
      done
      [ "$joined" = 1 ] || { log "giving up; stopping all"; stop_all; exit 1; }
      log "$(name "$i") joined $(name 0) in $(($(now_ms) - tj)) ms"
    done
    wait_running 3 60 || { stop_all; exit 1; }
    log "cluster of 3 up in $(($(now_ms) - T0)) ms (nodes $((T1 - T0)) ms in parallel, joins $(($(now_ms) - T1)) ms)"
    urls
    ;;
  stop)
    stop_all
    log "stopped"
    ;;
  status)
    n=$(running_count)
    log "$n node(s) running"
    [ "$n" -ge 3 ]
    ;;
  urls) urls ;;
  pid)
    i=$(idx "${2:?usage: scripts/rabbitmq-cluster.sh pid NODE}")
    beam_pid "$i" || { echo "rabbitmq-cluster.sh: $(name "$i") not running" >&2; exit 1; }
    ;;
  kill)
    i=$(idx "${2:?usage: scripts/rabbitmq-cluster.sh kill NODE}")
    pid=$(beam_pid "$i") || { echo "rabbitmq-cluster.sh: $(name "$i") not running" >&2; exit 1; }
    kill -KILL "$pid"
    log "SIGKILLed $(name "$i") (beam.smp pid $pid)"
    echo "$pid"
    ;;
  restart)
    i=$(idx "${2:?usage: scripts/rabbitmq-cluster.sh restart NODE}")
    T0=$(now_ms)
    if running "$i"; then log "$(name "$i") already running"; else
      d=$(ndir "$i")
      # The killed VM's wrapper shell exits with it; wait for its pid to go.
      if [ -s "$d/server.pid" ]; then
        for _ in $(seq 50); do kill -0 "$(cat "$d/server.pid")" 2>/dev/null || break; sleep 0.1; done
      fi
      start_epmd
      boot "$i"
    fi
    T1=$(now_ms)
    wait_running 3 90
    log "$(name "$i") restarted in $((T1 - T0)) ms, 3 running after $(($(now_ms) - T0)) ms"
    ;;
  delete-queues)
    prefix=${2:?usage: scripts/rabbitmq-cluster.sh delete-queues PREFIX}
    case "$prefix" in *[!A-Za-z0-9._-]*) echo "rabbitmq-cluster.sh: PREFIX may hold only A-Z a-z 0-9 . _ -" >&2; exit 2 ;; esac
    for i in 0 1 2; do
      running "$i" || continue
      # One eval on the node (a rabbitmqctl call per queue costs ~0.6 s each).
      n=$(ctl "$i" eval "P = <<\"$prefix\">>,
        Qs = [Q || Q <- rabbit_amqqueue:list(<<\"/\">>),
                   binary:longest_common_prefix([element(4, amqqueue:get_name(Q)), P]) =:= byte_size(P)],
        [rabbit_amqqueue:delete(Q, false, false, <<\"rabbitmq-cluster.sh\">>) || Q <- Qs],
        length(Qs).")
      log "deleted $n queue(s) named $prefix* (via $(name "$i"))"
      exit 0
    done
    echo "rabbitmq-cluster.sh: no node running" >&2; exit 1
    ;;
  ctl)
    i=$(idx "${2:?usage: scripts/rabbitmq-cluster.sh ctl NODE ARGS...}"); shift 2
    ctl "$i" "$@"
    ;;
  queues)
    i=$(idx "${2:?usage: scripts/rabbitmq-cluster.sh queues NODE ARGS...}"); shift 2
    (node_env "$i"; "$BIN/rabbitmq-queues" -n "$(name "$i")" "$@")
    ;;
  *) echo "usage: scripts/rabbitmq-cluster.sh start|stop|status|urls|pid NODE|kill NODE|restart NODE|delete-queues PREFIX|ctl NODE ARGS...|queues NODE ARGS..." >&2; exit 2 ;;
esac
