#!/usr/bin/env bash
# npm run test:go: the Go unit tests of the perfdo output extension (tools/k6/output), with the Go that
# builds k6. Without Go (a k6 of the pinned version on PATH instead) there is nothing of ours to test.
set -euo pipefail
cd "$(dirname "$0")/../tools/k6"
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "test:go: skipped: no Go on PATH (the output extension is built and tested with Go)" >&2
  exit 0
fi
go test -count=1 ./output
