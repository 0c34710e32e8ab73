#!/usr/bin/env bash
# npm run test:repeat: the whole of npm test N times in a row (TEST_REPEAT, default 5); fails on the
# first failing run, naming it. A flake shows up here instead of in CI. Each run is bounded by the
# test runner's own timeouts; the whole takes about N × 6 minutes on the project's 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${TEST_REPEAT:-5}
mkdir -p build
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  if ! npm test > "build/test-repeat-$i.log" 2>&1; then
    echo "test:repeat: run $i of $n FAILED after $(( $(date +%s) - start )) s; its output: build/test-repeat-$i.log" >&2
    grep -E "^✖|^  ✖|FAILED" "build/test-repeat-$i.log" | head -20 >&2 || true
    exit 1
  fi
  echo "test:repeat: run $i of $n passed ($(( $(date +%s) - start )) s)"
done
echo "test:repeat: $n of $n passed"
