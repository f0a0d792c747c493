#!/usr/bin/env bash
# `npm run drift:back-to-back -- [ROUNDS] COMMIT...`: `before` of each given commit and of the current
# checkout, run back to back on this machine, interleaved round by round (commit A, B, …, current; again),
# so that whatever the machine does over the batch falls on every commit alike. A drift between stored
# batches that the code explains shows here as a difference between commits; one the machine explains
# does not. Each commit is checked out into .lab/drift/<commit> and built with its own dependencies;
# the current checkout runs with `--client node` (no client resends), which is what the older
# generators did, so its counts compare with theirs.
# Writes results/drift-back-to-back/<commit>/runs/<run>/ (summary, events, records, timeline) and
# results/drift-back-to-back/rounds.csv (round, commit, start, 1-min load at the start, exit code);
# `npm run lab -- report` turns them into the back-to-back table of results/before-after.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=3
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [ROUNDS] COMMIT..." >&2; exit 2; }
(( rounds >= 1 && rounds <= 10 )) || { echo "$0: ROUNDS must be 1..10, got $rounds" >&2; exit 2; }

out=$root/results/drift-back-to-back
current=$(git rev-parse --short=7 HEAD)
commits=()
for c in "$@"; do
  full=$(git rev-parse --verify --quiet "$c^{commit}") || { echo "$0: $c is not a commit here" >&2; exit 2; }
  commits+=("${full:0:7}")
done

build() { # build COMMIT: a worktree of it with its own node_modules and dist/
  local c=$1 dir=$root/.lab/drift/$1
  if [ ! -d "$dir" ]; then git worktree add -q --detach "$dir" "$c"; fi
  if [ ! -d "$dir/node_modules" ]; then
    # some old commits' lockfiles miss optional platform packages, which `npm ci` refuses
    (cd "$dir" && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; })
  fi
  (cd "$dir" && npm run --silent build)
}
for c in "${commits[@]}"; do echo "drift: building $c" >&2; build "$c"; done
echo "drift: building the current checkout ($current)" >&2
npm run --silent build

mkdir -p "$out"
[ -f "$out/rounds.csv" ] || echo "round,commit,started,load1,exit" > "$out/rounds.csv"
for ((i = 1; i <= rounds; i++)); do
  for c in "${commits[@]}" "$current"; do
    if [ "$c" = "$current" ]; then dir=$root; extra=(--client node); else dir=$root/.lab/drift/$c; extra=(); fi
    started=$(date -u +%FT%TZ)
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "drift: round $i/$rounds, $c, load $load" >&2
    rc=0
    (cd "$dir" && timeout 900 node dist/lab/cli.js before --target local --results-dir "$out/$c/scratch" "${extra[@]}") >"$out/$c.log" 2>&1 || rc=$?
    echo "$i,$c,$started,$load,$rc" >> "$out/rounds.csv"
    mkdir -p "$out/$c/runs"
    # keep the runs; the report files each commit's own code wrote beside them are not this batch's
    if [ -d "$out/$c/scratch/runs" ]; then
      for r in "$out/$c/scratch/runs"/*/; do
        mkdir -p "$out/$c/runs/$(basename "$r")"
        for f in summary.json events.json requests.jsonl.gz timeline.svg evidence.json; do
          if [ -f "$r/$f" ]; then cp "$r/$f" "$out/$c/runs/$(basename "$r")/"; fi
        done
      done
    fi
    if [ $rc -ne 0 ]; then mv "$out/$c.log" "$root/.lab/drift/$c-round$i.log"; echo "drift: $c failed (exit $rc), its log: .lab/drift/$c-round$i.log" >&2; fi
    rm -rf "$out/$c/scratch" "$out/$c.log"
  done
done
echo "drift: done; npm run lab -- report draws the table" >&2
