#!/usr/bin/env bash
# npm run lint:workflows [-- files…]: actionlint (pinned in tools/actionlint, built on first use) over
# .github/workflows, or over the given files. actionlint runs shellcheck on every `run:` block when
# the shellcheck binary is installed (.ci/run installs it); the scripts those blocks call are checked too.
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/perfdo.mjs tool actionlint -- -no-color -oneline "$@"
if [ "$#" -eq 0 ]; then
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck scripts/*.sh scripts/ci/*.sh .ci/run
  else
    echo "lint:workflows: shellcheck is not installed: run: blocks and scripts/ci were not shell-checked" >&2
  fi
fi
echo "lint:workflows: ok"
