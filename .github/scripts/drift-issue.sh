#!/usr/bin/env bash
# After `make ci-sync`: when the sync exited 4 (drift or adoption left as the policy says), open
# the one issue that lists those repos, or update it if it is open already. Other statuses: no-op.
# Needs GH_TOKEN and GITHUB_REPOSITORY; $1 is the reports folder (sync.status, sync.json).
set -euo pipefail
reports=$1
status=$(cat "$reports/sync.status" 2>/dev/null || echo missing)
if [ "$status" != 4 ]; then
  echo "sync exit status $status: no drift to report."
  exit 0
fi
title="nb-release: model cards changed on the Hub (drift)"
body="$reports/drift-issue.md"
run_url="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/${GITHUB_RUN_ID:-0}"
{
  echo "The nightly sync found cards that someone else changed on the Hub after nb-release's last"
  echo "publish, or that nb-release never published, and left them as the policy says."
  echo
  echo "| Repo | State | Changed by |"
  echo "| --- | --- | --- |"
  jq -r '.entries[] | select(.state == "drift" or .state == "drift+pending" or .state == "adopt")
    | "| `\(.repo_id)` | \(.state) | \((.drift.commits // []) | map("\(.authors | join(", ")): \(.title)") | join("; ")) |"' \
    "$reports/sync.json"
  echo
  echo "Full report: the artifacts of $run_url. Decide per repo: keep the edit (merge the pull"
  echo "request this run proposes, made with \`nb-release keep REPO\`), or set on_drift / on_adopt"
  echo "for it (\`merge\` merges each edit into the new render), or run"
  echo "\`nb-release sync --on-drift overwrite\`."
  echo "\`nb-release history REPO\` lists who changed what; \`nb-release restore\` brings a card back."
} > "$body"
existing=$(gh issue list --repo "$GITHUB_REPOSITORY" --state open --search "in:title $title" \
  --json number,title --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)
if [ -n "$existing" ]; then
  gh issue edit "$existing" --repo "$GITHUB_REPOSITORY" --body-file "$body" > /dev/null
  echo "Updated the drift issue #$existing."
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --body-file "$body" > /dev/null
  echo "Opened the drift issue."
fi
