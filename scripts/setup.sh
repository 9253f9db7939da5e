#!/usr/bin/env bash
# Idempotent machine setup: everything `make build` / `make test` need, installed only when
# missing. Tools go under $STACKSMART_CACHE (outside the checkout) so a warm machine reuses them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${STACKSMART_CACHE:-$HOME/.cache/stacksmart}"
tools="$cache/tools"
mkdir -p "$tools/bin"
export PATH="$tools/bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n== setup: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
need_pkgs=()
# wrk only serves `make bench-server`; it is small and saves a second setup path.
for pkg in chromium chromium-driver firefox-esr jq zip unzip postgresql wrk curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if ((${#need_pkgs[@]})); then
  step "apt-get install ${need_pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install ${need_pkgs[*]} (run: sudo make setup)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Postgres refuses to run as root: the test harness and `make run` start clusters as this user.
if ! id stacksmart-pg >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    step "create system user stacksmart-pg"
    useradd --system --no-create-home --shell /usr/sbin/nologin stacksmart-pg
  fi
fi

# --- Rust ------------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must match the crate version locked in Cargo.lock exactly.
wb_version="$("$here/scripts/wasm-bindgen-version.sh" locked)"
if [ -z "$wb_version" ]; then
  echo "setup: cannot read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if [ "$("$here/scripts/wasm-bindgen-version.sh" installed)" != "$wb_version" ]; then
  step "cargo install wasm-bindgen-cli $wb_version"
  # --locked first (reproducible); its lock can name a yanked crate, then resolve afresh.
  cargo install --locked --quiet --root "$tools" wasm-bindgen-cli --version "$wb_version" 2>/dev/null \
    || { echo "setup: its lock file names a yanked crate; resolving its dependencies afresh"
         cargo install --quiet --root "$tools" wasm-bindgen-cli --version "$wb_version"; }
fi

if ! command -v geckodriver >/dev/null 2>&1; then
  step "cargo install geckodriver"
  cargo install --locked --quiet --root "$tools" geckodriver
fi

# --- npm test packages -----------------------------------------------------------------------
# node_modules lives in the cache and is linked into tests/, so a fresh clone reuses it.
stamp="$cache/npm/.lock-$(sha256sum "$here/tests/package-lock.json" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  step "npm ci (tests)"
  mkdir -p "$cache/npm"
  cp "$here/tests/package.json" "$here/tests/package-lock.json" "$cache/npm/"
  (cd "$cache/npm" && npm ci --no-audit --no-fund --loglevel=error)
  rm -f "$cache"/npm/.lock-*
  touch "$stamp"
fi
if [ "$(readlink "$here/tests/node_modules" 2>/dev/null)" != "$cache/npm/node_modules" ]; then
  rm -rf "$here/tests/node_modules"
  ln -s "$cache/npm/node_modules" "$here/tests/node_modules"
fi

step "ready (tools in $tools)"
