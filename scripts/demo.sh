#!/usr/bin/env bash
# The body of `make demo`: install tools, build the npm package, then run the reference
# server in the foreground on $PORT (default 8080), serving www/ at / and pkg/ at /pkg/.
# Ctrl-C (or SIGTERM) stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
PORT=${PORT:-8080}

scripts/bootstrap.sh
scripts/build-pkg.sh
cargo build -p steadysocket-server

port_file=$(mktemp "${TMPDIR:-/tmp}/steadysocket-demo-port.XXXXXX")
rm -f "$port_file"
target_dir=$(cargo metadata --no-deps --format-version 1 --offline \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
"$target_dir/debug/steadysocket-server" --port "$PORT" --root "$(pwd)" --port-file "$port_file" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
trap 'rm -f "$port_file"' EXIT
# Announce only once it is really listening (the server writes the port file after bind).
until [ -s "$port_file" ]; do
  kill -0 "$pid" 2>/dev/null || { wait "$pid"; exit $?; }
  sleep 0.05
done
echo "steadysocket demo: http://127.0.0.1:$(tr -d '[:space:]' <"$port_file")/"
set +e
wait "$pid"; rc=$?
# After a trapped signal, `wait` returns early: wait for the server's own exit status.
kill -0 "$pid" 2>/dev/null && { wait "$pid"; rc=$?; }
exit "$rc"
