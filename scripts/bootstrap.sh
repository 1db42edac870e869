#!/usr/bin/env bash
# Idempotent installer for everything `make test` / `make demo` need on a fresh
# Debian machine (run as root, or with sudo available). Fast when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm-bindgen version pinned in Cargo.toml (`wasm-bindgen = "=X.Y.Z"`).
WB_VERSION=$(sed -n 's/^wasm-bindgen *= *{\{0,1\} *\(version *= *\)\{0,1\}"=\([0-9.]*\)".*/\2/p' Cargo.toml | head -n1)
if [ -z "$WB_VERSION" ]; then echo "bootstrap: cannot read the pinned wasm-bindgen version from Cargo.toml" >&2; exit 1; fi

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

# 1. Rust wasm target + components.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done

# 1b. The npm build's pinned nightly (scripts/npm-build.env), with rust-src for -Zbuild-std.
# shellcheck source=scripts/npm-build.env
. scripts/npm-build.env
if ! rustup run "$NPM_TOOLCHAIN" rustc -V >/dev/null 2>&1 \
  || ! rustup component list --toolchain "$NPM_TOOLCHAIN" --installed 2>/dev/null | grep -q '^rust-src'; then
  log "installing $NPM_TOOLCHAIN (minimal + rust-src) for the npm build"
  rustup toolchain install "$NPM_TOOLCHAIN" --profile minimal -c rust-src
fi

# 2. wasm-bindgen CLI, exactly the pinned version (no --locked: see README).
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wb" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (found: ${have_wb:-none})"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 3. wasm-pack.
if ! command -v wasm-pack >/dev/null 2>&1; then
  log "installing wasm-pack"
  cargo install wasm-pack
fi

# 4. Debian packages: headless Chromium + driver. (wasm-opt comes from the npm `binaryen`
#    package: Debian's v108 miscompiles wasm-bindgen's externref table export.)
need_pkgs=()
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_pkgs+=(chromium-driver)
command -v gzip >/dev/null 2>&1 || need_pkgs+=(gzip)
# The real STOMP broker of the peer tests (scripts/rabbitmq.sh runs it privately, on loopback).
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_pkgs+=(rabbitmq-server)
# The README's Python wire-protocol server, run by tests/e2e/node.test.mjs (Debian's python3).
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need_pkgs+=(python3-websockets)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "apt-get install ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

# 5. JS tooling (playwright-core, typescript, ...), pinned by package-lock.json.
if [ -f package-lock.json ]; then
  stamp=node_modules/.bootstrap-stamp
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
fi
# 5b. React 18 for the bundlers' react18 app: its own small project and lockfile
#     (www/bundlers/react18/), since npm refuses React 18 next to the root's React 19.
r18=www/bundlers/react18
stamp=$r18/node_modules/.bootstrap-stamp
if [ ! -f "$stamp" ] || [ "$r18/package-lock.json" -nt "$stamp" ]; then
  log "npm ci --prefix $r18"
  npm ci --prefix "$r18" --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
log "ok (wasm-bindgen $WB_VERSION, $NPM_TOOLCHAIN, $(wasm-pack --version), $(chromium --version 2>/dev/null | head -n1))"
