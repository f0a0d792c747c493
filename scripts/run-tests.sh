#!/usr/bin/env bash
# `make test`: the compiled suite with node's test runner; prints the wall time, the test count and the load.
# Two passes:
#  - serial: the files in SERIAL one at a time and, beside them, the files in BESIDE one at a time (their own
#    timing needs only a quiet machine, and they mostly wait: keepalive-race waits out an app's 6 s idle close);
#  - parallel: every other *.test.js LAB_TEST_CONCURRENCY (default 3) at a time, the files in FIRST first, longest
#    first (they mostly wait on real processes; started last, one of them would run on alone at the end).
# With file arguments, only those run, one at a time.
# LAB_STRICT_SKIPS=1 (set by .ci/run) turns every skipped test into a failure: on a user's machine a skip
# that says why is fine, in CI it hides a check that did not run. LAB_ALLOW_SKIP=<regex> tolerates skips
# whose reason matches (CI sets it only for a tool the machine cannot install, and prints that it did).
set -uo pipefail
cd "$(dirname "$0")/.."

# Files that must run alone: their assertions bound wall-clock time tightly enough that a second file
# on the other core could fail them on a 2-core machine, or they count what another file writes.
SERIAL=(
  loadtest/generator      # the sender's schedule: p99 send lag < 60 ms, nothing dropped for lag
  loadtest/killed-server  # the sender keeps its schedule through a SIGKILL
  service/levers-surge    # idle sockets close within 150 ms of each other (the other levers: service/levers, parallel)
  service/shutdown-all    # exits within a few hundred ms of the drain delay and the deadline
  service/pid1-namespace  # PID namespaces: SIGTERM to exit < 3 s
  local/pid1              # PID 1 and signals: exit < 1 s after SIGTERM (SIGTERM ignored, bounded below by the grace period: local/pid1-ignored, parallel)
  worker/shutdown         # exit "at once" (< 2 s) on a second signal
  long-lived/routing      # propagation and deregistration delays to ~10 ms
  reconnect/client        # re-dial < 1 s; dial counts over a 2 s window
  local/pod-network       # removes every block's leftover namespaces and bridges that no running lab holds
)
BESIDE=(
  local/keepalive-race    # the app's idle close must fall inside a 0.7 s hold of the proxy's thread
)
# The parallel pass's longest files (wall time, mostly waiting), in this order; the rest follow alphabetically.
FIRST=(
  package/pack check/local-gate engine/cli check/cluster-stub engine/deregistration-run check/local-netns
  check/local engine/guardian kind/cluster-path engine/route-retry long-lived/service-streams local/rollout
  engine/e2e local/cluster kind/run-stub k8s/drift engine/import-graph check/start-failures
)
concurrency=${LAB_TEST_CONCURRENCY:-3}

taps=()
beside_out=$(mktemp)
trap 'rm -f "${taps[@]}" "$beside_out"' EXIT
rc=0
# run_pass NAME CONCURRENCY TAP FILE...: one node --test run, spec to stdout, TAP to TAP (for the counts and
# skips); returns node's exit code.
run_pass() {
  local name=$1 conc=$2 tap=$3 t0 r
  shift 3
  [ $# -gt 0 ] || return 0
  t0=$(date +%s)
  echo "make test: $name pass, $# files, $conc at a time"
  node --test --test-concurrency="$conc" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$@"
  r=$?
  echo "make test: $name pass: $(( $(date +%s) - t0 )) s, $(grep -E '^# tests ' "$tap" | tail -1 | cut -d' ' -f3) tests (exit $r)"
  return $r
}
tap() { local t; t=$(mktemp); taps+=("$t"); TAP=$t; }
# files NAME...: dist/test/NAME.test.js for each, or exit 2 naming one that does not exist.
files() {
  for f in "$@"; do
    [ -f "dist/test/$f.test.js" ] || { echo "scripts/run-tests.sh: dist/test/$f.test.js does not exist" >&2; exit 2; }
    echo "dist/test/$f.test.js"
  done
}

start=$(date +%s)
if [ $# -gt 0 ]; then
  tap; run_pass given 1 "$TAP" "$@" || rc=$?
else
  mapfile -t serial < <(files "${SERIAL[@]}")
  mapfile -t beside < <(files "${BESIDE[@]}")
  mapfile -t first < <(files "${FIRST[@]}")
  [ ${#serial[@]} -eq ${#SERIAL[@]} ] && [ ${#beside[@]} -eq ${#BESIDE[@]} ] && [ ${#first[@]} -eq ${#FIRST[@]} ] || exit 2
  # Only *.test.js files hold tests (node --test given the directory would also start every helper module).
  mapfile -t all < <(find dist/test -name '*.test.js' | sort)
  mapfile -t rest < <(printf '%s\n' "${all[@]}" | grep -vxF -f <(printf '%s\n' "${serial[@]}" "${beside[@]}" "${first[@]}"))
  # The BESIDE lane prints its spec output when it ends, so the two lanes' lines do not interleave.
  tap; beside_tap=$TAP
  run_pass beside 1 "$beside_tap" "${beside[@]}" > "$beside_out" &
  beside_pid=$!
  tap; run_pass serial 1 "$TAP" "${serial[@]}" || rc=$?
  wait "$beside_pid" || rc=$?
  cat "$beside_out"
  tap; run_pass parallel "$concurrency" "$TAP" "${first[@]}" "${rest[@]}" || rc=$?
fi

tests=$(cat "${taps[@]}" | grep -E '^# tests ' | awk '{n += $3} END {print n + 0}')
skips=$(cat "${taps[@]}" | grep -E '^ *ok [0-9]+ .*# SKIP' || true)
echo "make test: $(( $(date +%s) - start )) s, $tests tests (exit $rc; load average $(cut -d' ' -f1-3 /proc/loadavg))"
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
