#!/usr/bin/env bash
# `make run`: the extension is built by now; say exactly where to load it from, then run the
# sync server on a private local Postgres (or DATABASE_URL when set) until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cat <<MSG

StackSmart is built.

  Chrome / Chromium / Edge: open chrome://extensions, switch on "Developer mode",
                            click "Load unpacked" and choose
                              $root/dist/chrome
  Firefox:                  open about:debugging#/runtime/this-firefox,
                            click "Load Temporary Add-on…" and choose
                              $root/dist/firefox/manifest.json

  Packed: $root/dist/stacksmart-chrome.zip, $root/dist/stacksmart-firefox.zip

  Sync server (optional; the extension works fully without an account): starting now.
MSG
# Postgres runs as the unprivileged stacksmart-pg user, which must be able to pass through
# build/ (browsers under test create it private).
mkdir -p "$root/build" && chmod a+x "$root/build"
exec "$root/sync-server/scripts/run-local.sh" "$root/build/pg"
