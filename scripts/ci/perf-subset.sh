#!/usr/bin/env bash
# CI step 2 (pull_request): a short perf subset against the local Worker, compared with the history
# of the base branch. Writes into $PERFDO_CI_OUT (default build/ci):
#   results/      the base branch's history plus this run's lines (never committed from a PR)
#   compare.md    `perfdo compare` as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)
#   compare.xml   the same as JUnit XML
#   benchmark.json  `perfdo report --format json`, for github-action-benchmark
# The comparison is advisory unless PERFDO_CI_GATE=1 (then a significant regression exits 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PERFDO_CI_OUT:-build/ci}
scenarios=${PERFDO_CI_PERF:-"network/echo stores/things"}
duration=${PERFDO_CI_DURATION:-15s}
rm -rf "$out/results" && mkdir -p "$out/results"

# The base branch's history: from git when the base ref can be fetched (a pull request), else the
# history in this checkout.
base=${GITHUB_BASE_REF:-}
if [ -n "$base" ] && git fetch --quiet --depth=1 origin "$base" 2>/dev/null && git cat-file -e FETCH_HEAD:results 2>/dev/null; then
  git archive FETCH_HEAD results | tar -x -C "$out" --strip-components=0
  echo "perf-subset: history from origin/$base"
else
  cp -R results/. "$out/results/" 2>/dev/null || true
  echo "perf-subset: history from this checkout's results/"
fi

# shellcheck disable=SC2086 # a list of scenario names
node bin/perfdo.mjs run $scenarios --profile sustain --duration "$duration" --results-dir "$out/results" --quiet

gate=()
[ "${PERFDO_CI_GATE:-0}" = 1 ] && gate=(--gate)
node bin/perfdo.mjs compare --results-dir "$out/results" --format markdown --out "$out/compare.md" "${gate[@]}"
node bin/perfdo.mjs compare --results-dir "$out/results" --format junit --out "$out/compare.xml"
node bin/perfdo.mjs report --results-dir "$out/results" --format json --out "$out/benchmark.json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "## perf.do load: PR subset vs ${base:-history}"; echo; cat "$out/compare.md"; } >> "$GITHUB_STEP_SUMMARY"
fi
