#!/usr/bin/env bash
# npm run deploy:check (part of npm test): the reference Worker still deploys. wrangler (pinned in
# devDependencies) bundles it exactly as `npm run deploy` would, without uploading (--dry-run), and
# the generated Env types (deploy/src/worker-configuration.d.ts) must match deploy/wrangler.jsonc.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false # no telemetry: this check sends nothing anywhere
out="$PWD/${1:-build/wrangler-dry-run}"
npx wrangler types -c deploy/wrangler.jsonc deploy/src/worker-configuration.d.ts --include-runtime=false --check
npx wrangler deploy -c deploy/wrangler.jsonc --dry-run --outdir "$out"
test -s "$out/index.js"
echo "deploy:check: ok ($(wc -c <"$out/index.js") bytes in $out/index.js)"
