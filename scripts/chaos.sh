#!/usr/bin/env bash
# The chaos suite (README "Reliability (chaos suite)"). `make chaos` runs the full form;
# `make test` runs `scripts/chaos.sh --short` (a few minutes at most). Parts:
#   R4 fuzz     cargo: tests/chaos_fuzz.rs (+ tests/engine_props.rs in the full form)
#   R2 halfopen tests/chaos/r2-halfopen.mjs   half-open peer detection, idle and sending
#   R6 malformed tests/chaos/r6-malformed.mjs oversized/malformed inbound frames
#   R1 kill     tests/chaos/r1-kill.mjs       server kill/restart cycles under load
#   R3 hidden   tests/chaos/r3-hidden.mjs     a hidden tab for minutes (full form only)
#   R7 cluster  tests/chaos/r7-cluster.mjs    STOMP failover: a 3-node RabbitMQ cluster
#               (scripts/rabbitmq-cluster.sh), the consumer's node SIGKILLed under load
# Each part writes $OUT/<part>.json; tests/chaos/summary.mjs merges them into
# $OUT/results.json and $OUT/summary.txt (printed at the end); logs in $OUT/logs/<part>.log.
# $OUT is build/chaos for the full form, build/chaos-short for the short one (CHAOS_OUT). Every part runs even after a failure; the exit code says.
#
# Knobs (env; the full form's defaults first, then the short form's):
#   CHAOS_CYCLES        R1 kill/restart cycles            100 | 10
#   CHAOS_DELIVERY      R1 delivery modes, each run in turn: default at-least-once (reliable)
#                       (reliable mode across SIGKILLs relies on the server's durable sessions: --log-file)
#   CHAOS_R2_TRIALS     R2 half-open trials               20 | 20
#   CHAOS_R3_MINUTES    R3 hidden minutes (0 skips R3)    10 | 0
#   CHAOS_R7_ROUNDS     R7 kill rounds (each node once)   3 | 1
#   CHAOS_R7_MSGS       R7 messages per round             2000 | 500
#   CHAOS_R7_RATE       R7 publish rate (msg/s)           400 | 200
#   CHAOS_FUZZ_CASES    R4 cases per fuzz target          250000 | 2000
#   ENGINE_PROPS_CASES  R4 cases per engine_props property 20000 | (not run: `native` runs 400)
#   CHAOS_SKIP_BUILD=1  skip bootstrap, server and pkg/ builds (scripts/test.sh has done them)
#   CHAOS_ONLY="r1 r2"  run only these parts
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

SHORT=0
[ "${1:-}" = "--short" ] && SHORT=1
if [ "$SHORT" = 1 ]; then
  : "${CHAOS_CYCLES:=10}" "${CHAOS_R2_TRIALS:=20}" "${CHAOS_R3_MINUTES:=0}" "${CHAOS_FUZZ_CASES:=2000}"
  : "${CHAOS_R7_ROUNDS:=1}" "${CHAOS_R7_MSGS:=500}" "${CHAOS_R7_RATE:=200}"
  : "${ENGINE_PROPS_CASES:=0}"
else
  : "${CHAOS_CYCLES:=100}" "${CHAOS_R2_TRIALS:=20}" "${CHAOS_R3_MINUTES:=10}" "${CHAOS_FUZZ_CASES:=250000}"
  : "${CHAOS_R7_ROUNDS:=3}" "${CHAOS_R7_MSGS:=2000}" "${CHAOS_R7_RATE:=400}"
  : "${ENGINE_PROPS_CASES:=20000}"
fi
: "${CHAOS_DELIVERY:=default at-least-once}"
: "${CHAOS_ONLY:=r4 r2 r6 r1 r3 r7}"
export CHAOS_R7_ROUNDS CHAOS_R7_MSGS CHAOS_R7_RATE
export CHAOS_FUZZ_CASES ENGINE_PROPS_CASES

# The short form writes elsewhere, so `make test` never overwrites a full run's results.
OUT=${CHAOS_OUT:-$([ "$SHORT" = 1 ] && echo build/chaos-short || echo build/chaos)}
export CHAOS_OUT=$OUT
LOGS=$OUT/logs
rm -rf "$OUT" && mkdir -p "$LOGS"
T0=$SECONDS
FAILED=()
STATUS=() # part:ok|failed:seconds, for the summary

part() { # part NAME CMD...: runs CMD, output shown and saved to $LOGS/NAME.log
  local name=$1; shift
  local t=$SECONDS
  printf '\n==> [chaos %s] %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$LOGS/$name.log"
  local rc=${PIPESTATUS[0]}
  local secs=$((SECONDS - t))
  if [ "$rc" = 0 ]; then STATUS+=("$name:ok:$secs"); else STATUS+=("$name:failed:$secs"); FAILED+=("$name"); fi
  printf '<== [chaos %s] %s in %ss\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")" "$secs"
}
wants() { [[ " $CHAOS_ONLY " == *" $1 "* ]]; }

if [ "${CHAOS_SKIP_BUILD:-0}" != 1 ]; then
  part build sh -c 'scripts/bootstrap.sh && cargo build -p steadysocket-server && scripts/build-pkg.sh'
  [ ${#FAILED[@]} = 0 ] || { echo "chaos: FAIL at build (log: $LOGS/build.log)"; exit 1; }
fi

# R4: native, so first. The full form builds a `chaos` profile (dev + opt-level 2, defined here
# through cargo's env config: no Cargo.toml change) for speed; the short form reuses the debug
# build `make test` already has.
if wants r4; then
  if [ "$SHORT" = 1 ]; then
    part r4 cargo test --test chaos_fuzz -- --nocapture --test-threads 1
  else
    part r4 env CARGO_PROFILE_CHAOS_INHERITS=dev CARGO_PROFILE_CHAOS_OPT_LEVEL=2 \
      CARGO_PROFILE_CHAOS_DEBUG=false cargo test --profile chaos \
      --test chaos_fuzz --test engine_props -- --nocapture --test-threads 1
  fi
fi
wants r2 && part r2 node tests/chaos/r2-halfopen.mjs --trials "$CHAOS_R2_TRIALS"
wants r6 && part r6 node tests/chaos/r6-malformed.mjs
if wants r1; then
  for d in $CHAOS_DELIVERY; do
    part "r1-$d" node tests/chaos/r1-kill.mjs --cycles "$CHAOS_CYCLES" --delivery "$d"
  done
fi
if wants r3 && [ "$CHAOS_R3_MINUTES" != 0 ]; then
  part r3 node tests/chaos/r3-hidden.mjs --minutes "$CHAOS_R3_MINUTES"
fi
wants r7 && part r7 node tests/chaos/r7-cluster.mjs

node tests/chaos/summary.mjs --form "$([ "$SHORT" = 1 ] && echo short || echo full)" \
  --seconds "$((SECONDS - T0))" --status "${STATUS[*]}" || FAILED+=(summary)
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "chaos: FAIL at ${FAILED[*]} (logs: $LOGS/) after $((SECONDS - T0))s"
  exit 1
fi
echo "chaos: PASS ($([ "$SHORT" = 1 ] && echo short || echo full) form) in $((SECONDS - T0))s"
