#!/usr/bin/env bash
# `make test`: the compiled suite with node's test runner; prints the wall time, the test count and the load.
# LAB_STRICT_SKIPS=1 (set by .ci/run) turns every skipped test into a failure: on a user's machine a skip
# that says why is fine, in CI it hides a check that did not run. LAB_ALLOW_SKIP=<regex> tolerates skips
# whose reason matches (CI sets it only for a tool the machine cannot install, and prints that it did).
set -uo pipefail
cd "$(dirname "$0")/.."
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
start=$(date +%s)
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${@:-dist/test/}"
rc=$?
skips=$(grep -E '^ *ok [0-9]+ .*# SKIP' "$tap" || true)
echo "make test: $(( $(date +%s) - start )) s, $(grep -E '^# tests ' "$tap" | tail -1 | cut -d' ' -f3) tests (exit $rc; load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -n "$skips" ]; then
  echo "skipped:"; echo "$skips" | sed 's/^ */  /'
  if [ "${LAB_STRICT_SKIPS:-0}" = 1 ]; then
    disallowed=$(echo "$skips" | grep -vE "${LAB_ALLOW_SKIP:-^$}" || true)
    if [ -n "$disallowed" ]; then
      echo "LAB_STRICT_SKIPS=1: a skipped test is a failure here (install what it needs):" >&2
      echo "$disallowed" | sed 's/^ */  /' >&2
      [ $rc -eq 0 ] && rc=1
    fi
  fi
fi
exit $rc
