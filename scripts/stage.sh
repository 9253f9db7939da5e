#!/usr/bin/env bash
# Runs one stage of a make target and prints how long it took (CI reads these lines).
set -uo pipefail
name="$1"; shift
start=$(date +%s)
printf '\n==> %s\n' "$name"
"$@"
status=$?
printf '<== %s: %s in %ss\n' "$name" "$([ $status -eq 0 ] && echo ok || echo FAILED)" "$(( $(date +%s) - start ))"
exit $status
