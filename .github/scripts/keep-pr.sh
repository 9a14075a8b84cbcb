#!/usr/bin/env bash
# After `make ci-sync`: when the sync exited 4 and some cards drifted (someone edited them on the
# Hub), take those edits into the project with `make keep` and propose them as one pull request
# on this repository, updating nb-release's own open one rather than opening another. Merging it
# makes the next sync green; closing it leaves the cards as the policy says.
# Needs GH_TOKEN (contents and pull requests: write) and GITHUB_REPOSITORY; $1 is the reports
# folder (sync.status, sync.json). KEEP_PR_REMOTE: where to push (default: origin).
set -euo pipefail
reports=$1
status=$(cat "$reports/sync.status" 2>/dev/null || echo missing)
if [ "$status" != 4 ]; then
  echo "sync exit status $status: no hand edit to keep."
  exit 0
fi
if [ "${DRY_RUN:-false}" = true ]; then
  echo "Dry run: no pull request proposed."
  exit 0
fi
mapfile -t repos < <(jq -r '.entries[] | select(.state == "drift" or .state == "drift+pending")
  | .repo_id' "$reports/sync.json")
if [ ${#repos[@]} -eq 0 ]; then
  echo "No drifted card: nothing to keep (adopted cards are listed in the drift issue)."
  exit 0
fi
branch=nb-release/keep-hand-edits
title="nb-release: keep the hand edits made on the Hub"
body="$reports/keep-pr.md"
make keep REPOS="${repos[*]}"
git switch --quiet -C "$branch"
git add cards/edits
if git diff --cached --quiet; then
  echo "The hand edits are kept already: nothing to propose."
  exit 0
fi
git -c user.name="nb-release" -c user.email="nb-release@users.noreply.github.com" \
  commit --quiet -m "Keep the hand edits of ${#repos[@]} card(s) made on the Hub"
# The token goes in a header of this one command, never in a URL, a file or the log.
auth=$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 -w0)
git -c "http.extraheader=AUTHORIZATION: basic $auth" \
  push --quiet --force "${KEEP_PR_REMOTE:-origin}" "HEAD:refs/heads/$branch"
{
  echo "The nightly sync found cards that someone changed on the Hub after nb-release's last"
  echo "publish. This pull request takes each edit into \`cards/edits/\` (\`make keep\`), so the"
  echo "manifest renders the card as it is on the Hub and later template changes are merged into"
  echo "it. Merge it to keep the edits; close it to leave the cards as the policy says."
  echo
  echo "| Repo | Commit | Author | Title |"
  echo "| --- | --- | --- | --- |"
  jq -r '.entries[] | select(.state == "drift" or .state == "drift+pending") as $e
    | ($e.drift.commits // [])[] | "| `\($e.repo_id)` | \(.id[0:12]) | \(.authors | join(", ")) | \(.title) |"' \
    "$reports/sync.json"
} > "$body"
existing=$(gh pr list --repo "$GITHUB_REPOSITORY" --state open --head "$branch" \
  --json number --jq '.[0].number // empty')
if [ -n "$existing" ]; then
  gh pr edit "$existing" --repo "$GITHUB_REPOSITORY" --title "$title" --body-file "$body" > /dev/null
  echo "Updated the pull request #$existing."
else
  gh pr create --repo "$GITHUB_REPOSITORY" --base main --head "$branch" --title "$title" \
    --body-file "$body" > /dev/null
  echo "Opened a pull request to keep the hand edits."
fi
