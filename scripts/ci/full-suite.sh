#!/usr/bin/env bash
# CI (schedule, workflow_dispatch): the full suite, appended to results/ in this checkout (then
# scripts/ci/commit-results.sh commits it). Inputs as env: PERFDO_CI_TARGET (default local),
# PERFDO_CI_PROFILE (default: each scenario's own), PERFDO_CI_SCENARIOS (default: every perf/,
# network/ and stores/ scenario). Report into $PERFDO_CI_OUT (default build/ci) and the step summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PERFDO_CI_OUT:-build/ci}
mkdir -p "$out"
target=${PERFDO_CI_TARGET:-local}
scenarios=${PERFDO_CI_SCENARIOS:-}
if [ -z "$scenarios" ]; then
  # Those that can run on the target: perf/coldstart needs the local Worker's hooks.
  scenarios=$(node bin/perfdo.mjs scenarios --target "$target" | awk '/^(perf|network|stores)\//{print $1}' | tr '\n' ' ')
fi
profile=()
if [ -n "${PERFDO_CI_PROFILE:-}" ]; then
  profile=(--profile "$PERFDO_CI_PROFILE")
  # A suite that cannot finish inside the job is refused before it starts (a timed-out job records nothing).
  # shellcheck disable=SC2086 # a list of scenario names, counted
  node --import tsx scripts/ci/suite-budget.ts "$PERFDO_CI_PROFILE" "$(set -- $scenarios; echo $#)"
fi
status=0
# shellcheck disable=SC2086 # a list of scenario names
node bin/perfdo.mjs run $scenarios --target "$target" "${profile[@]}" --quiet || status=$?
node bin/perfdo.mjs report --format markdown --out "$out/report.md"
node bin/perfdo.mjs report --format junit --out "$out/report.xml"
node bin/perfdo.mjs report --format json --out "$out/benchmark.json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "## perf.do load: full suite on $target"; echo; cat "$out/report.md"; } >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
