#!/usr/bin/env bash
# Paired runs of the side-by-side bench (docs/benchmark.md, "Fourth pass"): two targets at once,
# 8 virtual users each, so both see the same machine at the same moment and a difference of a few
# tenths of a millisecond per sign-in shows that drift between alternating runs hides. The pair fills
# both cores, so read differences and ratios within a pair, not absolute figures.
#
#   ../shared/bench/side-by-side.sh 1            # once: installs the bench in $TMPDIR/side-by-side-bench
#   scripts/bench/paired.sh 3 before:ours:/path/to/old-checkout after:ours:$PWD
#   scripts/bench/paired.sh 3 ours:ours:$PWD floor:floor:
#
# Each spec is label:target:project-dir (target: ours, floor or peer; the dir only matters for ours).
set -euo pipefail
rounds=${1:?rounds}
shift
bench=${BENCH_WORK:-${TMPDIR:-/tmp}/side-by-side-bench}
[[ -f "$bench/run.mjs" ]] || { echo "no bench in $bench: run ../shared/bench/side-by-side.sh 1 first" >&2; exit 1; }
for round in $(seq 1 "$rounds"); do
  pids=()
  for spec in "$@"; do
    IFS=: read -r label target dir <<<"$spec"
    node "$bench/run.mjs" --target "$target" --ours-dir "${dir:-$PWD}" --label "$label-r$round" \
      --idle-wait 0 --concurrency 8 --duration 30 >"$bench/results/$label-r$round.log" 2>&1 &
    pids+=($!)
    # Staggered: two wranglers picking a free port at the same instant can pick the same one.
    sleep 3
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for spec in "$@"; do
    IFS=: read -r label _ _ <<<"$spec"
    grep -h "^$label-r$round " "$bench/results/$label-r$round.log" || { echo "$label-r$round failed:" >&2; tail -5 "$bench/results/$label-r$round.log" >&2; }
  done
done
