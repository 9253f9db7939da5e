#!/usr/bin/env bash
# Builds the extension for both browsers: cargo (wasm) → wasm-bindgen → dist/{chrome,firefox}
# with one manifest each, generated from manifest/manifest.json + manifest/browsers.json,
# and a zip per browser.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
cache="${STACKSMART_CACHE:-$HOME/.cache/stacksmart}"
export PATH="$cache/tools/bin:$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$cache/target}"
profile="${WASM_PROFILE:-wasm-release}"

# The CLI must be the crate's exact version or the glue and the module disagree at runtime.
want="$(scripts/wasm-bindgen-version.sh locked)"
have="$(scripts/wasm-bindgen-version.sh installed)"
if [ "$want" != "$have" ]; then
  echo "build: wasm-bindgen CLI is '${have:-missing}' but Cargo.lock has $want; run 'make setup'" >&2
  exit 1
fi

wasm_dir="$target_dir/wasm32-unknown-unknown/$profile"
stage="$here/build/stage"
rm -rf "$stage" && mkdir -p "$stage/background" "$stage/ui" "$stage/content"
build() { CARGO_TARGET_DIR="$target_dir" cargo build --quiet --target wasm32-unknown-unknown --profile "$profile" "$@"; }
# Function names (Leptos's and serde's long generic types) were about half of each module;
# panics still print their message and Rust location without them.
bindgen() { wasm-bindgen --target web --no-typescript --remove-name-section --out-name "$1" --out-dir "$2" "$3"; }

build -p stacksmart-background
bindgen background_wasm "$stage/background" "$wasm_dir/background.wasm"
# Two modules of the pages' crate: the popup alone (the page shoppers open most, so the least
# code to fetch and compile), and the options and welcome pages. Cargo keeps both builds.
build -p stacksmart-ui --no-default-features --features popup
bindgen popup "$stage/ui" "$wasm_dir/extension_ui.wasm"
build -p stacksmart-ui --no-default-features --features options
bindgen pages "$stage/ui" "$wasm_dir/extension_ui.wasm"
cp background/js/background.js "$stage/background/"
cp content-scripts/*.js "$stage/content/"
cp extension-ui/static/* "$stage/"
cp -r manifest/icons manifest/_locales "$stage/"

for browser in chrome firefox; do
  out="$here/dist/$browser"
  rm -rf "$out" && mkdir -p "$out"
  cp -r "$stage/." "$out/"
  jq --arg b "$browser" '. * (input | .[$b])' manifest/manifest.json manifest/browsers.json \
    > "$out/manifest.json"
  rm -f "$here/dist/stacksmart-$browser.zip"
  (cd "$out" && zip -qr -X "$here/dist/stacksmart-$browser.zip" .)
done
echo "build: dist/chrome, dist/firefox and their zips are ready"
