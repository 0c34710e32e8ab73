#!/usr/bin/env bash
# CI (schedule, workflow_dispatch): commits the new history lines in results/ and pushes them to the
# branch the run started from. Two runs finishing together both land: on a rejected push the branch
# is pulled again with rebase, and .gitattributes merges results/*.jsonl by union, so both runs'
# lines are kept (history is append-only). PERFDO_CI_PUSH_ATTEMPTS (default 5) bounds the retries.
set -euo pipefail
cd "$(dirname "$0")/../.."
branch=${PERFDO_CI_BRANCH:-${GITHUB_REF_NAME:-$(git rev-parse --abbrev-ref HEAD)}}
git add results/*.jsonl 2>/dev/null || true
if git diff --cached --quiet; then
  echo "commit-results: no new history lines"
  exit 0
fi
# Every git command that writes a commit gets an identity: `commit`, and the `pull --rebase` that
# replays it when main moved during the run (a runner has none configured: "empty ident name").
as_bot() {
  git -c user.name="${GIT_AUTHOR_NAME:-perfdo-load[bot]}" -c user.email="${GIT_AUTHOR_EMAIL:-perfdo-load@users.noreply.github.com}" "$@"
}
as_bot commit --quiet -m "results: load run ${GITHUB_RUN_ID:-local} ($(date -u +%Y-%m-%d))"
attempts=${PERFDO_CI_PUSH_ATTEMPTS:-5}
for i in $(seq 1 "$attempts"); do
  if git push --quiet origin "HEAD:$branch"; then
    echo "commit-results: pushed to $branch (attempt $i)"
    exit 0
  fi
  echo "commit-results: push rejected (attempt $i); rebasing onto origin/$branch"
  as_bot pull --quiet --rebase origin "$branch"
  sleep "$i"
done
echo "commit-results: could not push to $branch after $attempts attempts" >&2
exit 1
