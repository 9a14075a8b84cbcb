#!/usr/bin/env bash
# Post the plan report as one comment on the pull request, or update the one posted before
# (found by its first line), so a PR never collects a comment per push.
# Needs GH_TOKEN, GITHUB_REPOSITORY and PR_NUMBER; reads the report file given as $1.
set -euo pipefail
report=$1
marker='<!-- nb-release plan -->'
body=$(mktemp)
trap 'rm -f "$body"' EXIT
{ echo "$marker"; cat "$report"; } > "$body"
existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" > /dev/null
  echo "Updated the plan comment $existing."
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" > /dev/null
  echo "Posted the plan comment."
fi
