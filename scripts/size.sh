#!/usr/bin/env bash
# Raw and gzipped size of every wasm and JS file in dist/.
set -euo pipefail
cd "$(dirname "$0")/../dist"
printf '%-52s %10s %10s\n' file raw gzip
find . -type f \( -name '*.wasm' -o -name '*.js' \) | sort | while read -r f; do
  printf '%-52s %10d %10d\n' "${f#./}" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
