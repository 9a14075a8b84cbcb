"""pipeline.ownership: trailers, states and policy decisions (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.manifest.model import load_manifest
from pipeline.ownership import (
    ACTIONS,
    ADOPT_COMMITS,
    DECISIONS,
    POLICIES,
    POLICY_STATES,
    STATES,
    Policies,
    decide,
    decide_update,
    decision_of,
    describe_replaced,
    fingerprint_of,
    is_merge,
    is_release,
    leaves,
    policies_help,
    policy_choice,
    policy_letter,
    policy_meaning,
    policy_of_letter,
    policy_prompt,
    resolve_policy,
    state_of_action,
    states_of_action,
    trailers,
    writes,
)
from pipeline.records import CommitRecord

OURS = (
    "Rendered from models.toml.\n\nReleased-by: nb-release 0.1.0\nManifest-fingerprint: sha256:ab"
)
PUBLISHED = "---\nlicense: llama3.1\n---\n# Card\n"


def commit(n: int, message: str = "", title: str = "Edit") -> CommitRecord:
    return CommitRecord(f"{n:040x}", f"2025-01-0{n % 9 + 1}T00:00:00Z", ("alice",), title, message)


def test_trailers_are_the_last_paragraph_only() -> None:
    assert trailers(OURS) == {
        "Released-by": "nb-release 0.1.0",
        "Manifest-fingerprint": "sha256:ab",
    }
    assert trailers("Released-by: nb-release 0.1.0\n\nA closing sentence.") == {}
    assert trailers("") == {}
    assert trailers("Released-by: nb-release 0.1.0\r\nManifest-fingerprint: x\r\n")


def test_a_release_needs_both_trailers_and_nb_release() -> None:
    assert is_release(commit(1, OURS))
    assert fingerprint_of(commit(1, OURS)) == "sha256:ab"
    assert not is_release(commit(1, "Released-by: nb-release 0.1.0"))
    assert not is_release(commit(1, OURS.replace("nb-release 0.1.0", "other-tool 1")))
    assert fingerprint_of(commit(1, "Manifest-fingerprint: sha256:ab")) is None
    # A restore names its source but is not a release: the card reads as drift after it.
    assert not is_release(commit(1, "Restores it.\n\nRestored-from: " + "0" * 40))


def test_pending_when_live_is_what_nb_release_published() -> None:
    history = [commit(2, "", "Upload weights"), commit(1, OURS)]
    found = decide_update(
        rendered=PUBLISHED + "new\n", live=PUBLISHED, commits=history, published_content=PUBLISHED
    )
    assert found.state == "pending"
    assert found.published == history[1]


@pytest.mark.parametrize(
    ("rendered", "state"),
    [(PUBLISHED, "drift"), (PUBLISHED + "manifest change\n", "drift+pending")],
)
def test_drift_and_drift_pending(rendered: str, state: str) -> None:
    history = [commit(3, "", "Add evaluation"), commit(1, OURS)]
    live = PUBLISHED + "## Evaluation\n"
    found = decide_update(
        rendered=rendered, live=live, commits=history, published_content=PUBLISHED
    )
    assert found.state == state
    assert found.drift is not None
    assert [c.title for c in found.drift.commits] == ["Add evaluation"]
    assert "+## Evaluation" in found.drift.edit_diff
    assert (found.drift.lines_added, found.drift.lines_removed) == (1, 0)
    assert found.replaced == (history[0],)


def test_line_endings_alone_are_not_drift() -> None:
    history = [commit(2), commit(1, OURS)]
    found = decide_update(
        rendered=PUBLISHED + "x\n",
        live=PUBLISHED.replace("\n", "\r\n"),
        commits=history,
        published_content=PUBLISHED,
    )
    assert found.state == "pending"


def test_adopt_names_the_newest_commits_only() -> None:
    history = [commit(n) for n in range(100, 0, -1)]
    found = decide_update(rendered="a\n", live="b\n", commits=history, published_content=None)
    assert found.state == "adopt"
    assert found.replaced == tuple(history[:ADOPT_COMMITS])


def test_decisions_per_state_and_policy() -> None:
    default = Policies()
    assert decide("unchanged", default) == "none"
    assert decide("missing-repo", default) == "error"
    for state in ("pending", "create", "create-repo"):
        assert decide(state, default) == "publish"
    assert decide("drift", default) == "skip"
    assert decide("drift+pending", Policies(on_drift="pr")) == "pr"
    assert decide("drift", Policies(on_drift="overwrite")) == "publish"
    assert decide("drift+pending", Policies(on_drift="merge")) == "merge"
    assert decide("adopt", Policies(on_drift="overwrite")) == "skip"
    assert decide("adopt", Policies(on_adopt="overwrite")) == "publish"


def test_every_state_goes_with_one_action() -> None:
    for state in STATES:
        assert len([a for a in ACTIONS if state in states_of_action(a)]) == 1, state
    for action in ACTIONS:
        assert state_of_action(action) in states_of_action(action)


def test_a_policy_decides_exactly_the_policy_states() -> None:
    for policy in ("skip", "pr", "merge"):  # the decisions no other state has
        decided = {s for s in STATES if decide(s, Policies(policy, policy)) == policy}
        assert decided == POLICY_STATES


def test_the_first_policy_set_wins() -> None:
    assert resolve_policy(None, "pr", "overwrite", default="skip") == "pr"
    assert resolve_policy("overwrite", "pr", default="skip") == "overwrite"
    assert resolve_policy(None, None, default="skip") == "skip"
    with pytest.raises(ValueError, match="unknown policy 'ask'"):
        resolve_policy("ask", default="skip")


def test_describe_replaced_names_id_date_author_title() -> None:
    lines = describe_replaced([commit(n) for n in range(25)], limit=20).splitlines()
    assert lines[0] == f"- {0:040x} 2025-01-01T00:00:00Z by alice: Edit"
    assert lines[-1] == "- and 5 older commits"
    assert len(lines) == 21


# --- the vocabulary: every other module takes its words from ownership.py ----------------------


def test_every_policy_has_a_decision_and_a_prompt_letter_of_its_own() -> None:
    letters = [policy_letter(p) for p in POLICIES]
    assert letters == [policy_choice(p).split("[", 1)[1][0] for p in POLICIES]
    assert len(set(letters)) == len(POLICIES)
    for policy in POLICIES:
        assert policy_of_letter(policy_letter(policy)) == policy
        assert decision_of(policy) in DECISIONS
    # Only a letter of the prompt's own: not an empty answer, another letter, or a word.
    assert policy_of_letter("") is None
    assert policy_of_letter("x") is None
    assert policy_of_letter("yes") is None
    assert policy_of_letter("skip") is None
    assert policy_prompt() == "[s]kip, open a [p]ull request, [m]erge, or [o]verwrite? [s] "
    assert policy_of_letter(" M ") == "merge"


def test_writes_and_leaves_split_the_decisions() -> None:
    assert [d for d in DECISIONS if writes(d)] == ["publish", "merge", "pr"]
    assert [d for d in DECISIONS if leaves(d)] == ["pr", "skip"]
    assert decide("drift", Policies(on_drift="overwrite")) == "publish"
    assert decide("adopt", Policies(on_adopt="pr")) == "pr"


def test_the_manifest_refuses_an_unknown_policy_with_the_words_of_ownership(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "models.toml"
    manifest.write_text(
        (Path(__file__).resolve().parents[2] / "models.toml")
        .read_text(encoding="utf-8")
        .replace("\n[defaults]\n", '\n[defaults]\non_drift = "ask"\n', 1),
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert f"expected one of {', '.join(POLICIES)}, got 'ask'" in str(caught.value)


def test_the_policies_in_words_name_every_policy() -> None:
    assert policies_help() == (
        "skip it, open or update nb-release's pull request, merge the hand edit into the new card "
        "(a pull request if they conflict), or overwrite it"
    )
    assert len({policy_meaning(p) for p in POLICIES}) == len(POLICIES)


def test_a_merge_writes_to_main_and_is_no_release() -> None:
    assert decision_of("merge") == "merge"
    assert writes("merge") and not leaves("merge")  # a conflict is carried out as `pr`
    merged = commit(1, "Merged.\n\nMerged-by: nb-release 0.1.0\nMerge-base: " + "0" * 40)
    assert is_merge(merged)
    assert not is_release(merged)  # the card keeps reading as drift against the last release
    assert not is_merge(commit(1, OURS))
    assert not is_merge(commit(1, "Merged.\n\nMerged-by: other-tool 1"))
