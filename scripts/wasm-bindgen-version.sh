#!/usr/bin/env bash
# Prints the wasm-bindgen version the build needs (`locked`: the crate in Cargo.lock) or has
# (`installed`: the CLI on PATH, empty when missing). setup.sh installs the first; build.sh
# refuses to build when the two differ.
set -euo pipefail
case "${1:-}" in
  locked)
    awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' \
      "$(cd "$(dirname "$0")/.." && pwd)/Cargo.lock" ;;
  installed) { wasm-bindgen --version 2>/dev/null || true; } | awk '{print $2}' ;;
  *) echo "usage: $0 locked|installed" >&2; exit 2 ;;
esac
