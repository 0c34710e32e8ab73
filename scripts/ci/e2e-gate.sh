#!/usr/bin/env bash
# CI step 1 (pull_request): the E2E suites against the local Worker, as a gate (exit 3 on any
# failed check or threshold). Nothing is written to history.
set -euo pipefail
cd "$(dirname "$0")/../.."
scenarios=${PERFDO_CI_E2E:-"e2e/lifecycle e2e/shard e2e/replicate e2e/targeting e2e/stores e2e/network"}
# shellcheck disable=SC2086 # a list of scenario names
node bin/perfdo.mjs run $scenarios --profile smoke --gate --no-results --quiet
