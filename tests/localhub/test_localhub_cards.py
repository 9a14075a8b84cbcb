"""Cards and metadata through the client: validate-yaml (both callers), ModelCard load and push,
discussions and pull requests."""

from __future__ import annotations

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, ModelCard, RepoCard
from huggingface_hub.utils import get_session

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import CARD, PAGE_SIZE

REPO = "NbAiLab/nb-llama"
QUOTED = CARD.replace("- no  # Generic Norwegian", '- "no"')


def test_a_bad_license_fails_the_commit_before_any_upload(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {})
    hub.counters.reset()
    bad = CARD.replace("llama3.1", "not-a-license")
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md") as caught:
        api.create_commit(
            REPO, [CommitOperationAdd("README.md", bad.encode())], commit_message="Bad"
        )
    assert '"license" must be one of' in str(caught.value)
    assert hub.counters.writes() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("pipeline_tag: text-generation", "pipeline_tag: chat"), '"pipeline_tag" must be one of'),
        (("- nb\n", "- bokmål\n"), '"language[1]" must be an ISO 639-1'),
        (("- norwegian", "- 3"), '"tags[0]" must be a string'),
        (("library_name: transformers", "library_name: [a]"), '"library_name" must be a string'),
        (("library_name: transformers", "library_name: made-up-lib"), '"library_name" must be one'),
        (
            ("library_name: transformers", "library_name: Transformers"),
            '"library_name" must be one',
        ),
        (("base_model: meta-llama/Llama-3.1-8B", "base_model: a--b/c"), "not a valid model id"),
        (("license: llama3.1", "license: [mit"), "Invalid YAML"),
    ],
)
def test_validate_yaml_checks(api: HfApi, change: tuple[str, str], message: str) -> None:
    bad = CARD.replace(*change)
    assert bad != CARD
    with pytest.raises(ValueError, match="Invalid metadata") as caught:
        api._validate_yaml(bad)
    assert message in str(caught.value)


@pytest.mark.parametrize("license_id", ["grok2-community", "openmdw-1.0", "openmdw-1.1"])
def test_validate_yaml_takes_every_license_of_the_hubs_table(api: HfApi, license_id: str) -> None:
    api._validate_yaml(QUOTED.replace("license: llama3.1", f"license: {license_id}"))


def test_validate_yaml_reads_yaml_1_2(api: HfApi) -> None:
    # `no` is Norwegian under YAML 1.2 (the Hub's js-yaml), not False: no error.
    api._validate_yaml(CARD)


def test_a_card_without_metadata_gets_the_hubs_warning(api: HfApi) -> None:
    with pytest.warns(UserWarning, match="empty or missing yaml metadata in repo card"):
        api._validate_yaml("# Just a title\n")


def test_repocard_validate_is_unauthenticated_text(hub: LocalHub) -> None:
    ModelCard(QUOTED).validate()
    with pytest.raises(ValueError, match='"license" must be one of'):
        RepoCard(CARD.replace("llama3.1", "nope")).validate()
    response = get_session().post(
        f"{hub.url}/api/validate-yaml", content=b"{not json", headers={"Accept": "text/plain"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")


def test_modelcard_push_to_hub_and_load(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    ModelCard(QUOTED).push_to_hub(REPO, token=hub.token, commit_message="Push card")
    loaded = ModelCard.load(REPO, token=hub.token)
    assert loaded.data.license == "llama3.1"
    assert loaded.data.language == ["no", "nb", "en"]
    assert "A card." in loaded.text


def test_modelcard_push_of_an_unquoted_no_is_refused(hub: LocalHub) -> None:
    # The client reads `- no` with PyYAML (YAML 1.1) as False and pushes `- false`, which the
    # Hub's validator refuses: the Norway problem of docs/hub-http-api.md §6, caught before a write.
    hub.seed(REPO, {})
    with pytest.raises(ValueError, match=r'"language\[0\]" must be an ISO 639-1'):
        ModelCard(CARD).push_to_hub(REPO, token=hub.token)
    assert hub.counters.writes() == 0


def test_pull_requests_and_discussions(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": CARD})
    pr = api.create_pull_request(REPO, title="Draft PR", description="Please review")
    assert (pr.num, pr.status, pr.is_pull_request) == (1, "draft", True)
    assert pr.git_reference == "refs/pr/1"
    assert pr.events[0].content == "Please review"  # type: ignore[attr-defined]
    api.create_discussion(REPO, title="A question")
    for i in range(PAGE_SIZE):
        api.create_commit(
            REPO,
            [CommitOperationAdd(f"f{i}.txt", b"x")],
            commit_message=f"PR {i}",
            create_pr=True,
        )
    listed = list(api.get_repo_discussions(REPO))  # 4 items over 2 pages
    assert [d.num for d in listed] == [4, 3, 2, 1]
    assert [d.is_pull_request for d in listed] == [True, True, False, True]
    assert [d.num for d in api.get_repo_discussions(REPO, discussion_type="discussion")] == [2]
    assert hub.counters.get("list_discussions") == 2 + 1
    details = api.get_discussion_details(REPO, 2)
    assert not details.is_pull_request and details.target_branch is None


MODEL_INDEX = """model-index:
- name: nb-llama
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      type: ltg/norbench
      name: NorBench
      config: nb
      split: test
      revision: main
      args:
        shots: 5
    metrics:
    - type: accuracy
      value: 71.2
      name: Accuracy
      verified: false
    - type: f1
      value: "70.1 ± 0.3"
    source:
      name: NorBench leaderboard
      url: https://example.org/norbench
"""


def _with(extra: str, card: str = QUOTED) -> str:
    return card.replace("tags:\n", f"{extra}tags:\n", 1)


@pytest.mark.parametrize(
    "extra",
    [
        MODEL_INDEX,
        "base_model_relation: quantized\n",
        "base_model_relation: finetune\n",
        "license_name: nb-license\nlicense_link: LICENSE\n",
    ],
)
def test_validate_yaml_takes_the_hubs_forms(api: HfApi, extra: str) -> None:
    api._validate_yaml(_with(extra))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("model-index: {name: x}\n", '"model-index" must be an array'),
        ("model-index: []\n", '"model-index" must be a non-empty array'),
        ("model-index:\n- x\n", '"model-index[0]" must be an object'),
        ("model-index:\n- name: x\n", '"model-index[0].results" is required'),
        ("model-index:\n- results: []\n", '"model-index[0].name" is required'),
        ("model-index:\n- name: 3\n  results: []\n", '"model-index[0].name" must be a string'),
        (
            MODEL_INDEX.replace("      type: text-generation\n", ""),
            '"model-index[0].results[0].task.type" is required',
        ),
        (
            MODEL_INDEX.replace("      name: NorBench\n", ""),
            '"model-index[0].results[0].dataset.name" is required',
        ),
        (
            MODEL_INDEX.replace("      split: test\n", "      split: [test]\n"),
            '"model-index[0].results[0].dataset.split" must be a string',
        ),
        (
            MODEL_INDEX.replace("      value: 71.2\n", ""),
            '"model-index[0].results[0].metrics[0].value" is required',
        ),
        (
            MODEL_INDEX.replace("    - type: f1\n", "    - kind: f1\n"),
            '"model-index[0].results[0].metrics[1].type" is required',
        ),
        (
            MODEL_INDEX.replace("      verified: false\n", "      verified: maybe\n"),
            '"model-index[0].results[0].metrics[0].verified" must be a boolean',
        ),
        (
            MODEL_INDEX.replace("      url: https://example.org/norbench\n", ""),
            '"model-index[0].results[0].source.url" is required',
        ),
        ("base_model_relation: finetuned\n", '"base_model_relation" must be one of [adapter'),
        ("base_model_relation: [merge]\n", '"base_model_relation" must be one of'),
    ],
)
def test_validate_yaml_refuses_what_the_hub_refuses(api: HfApi, extra: str, message: str) -> None:
    with pytest.raises(ValueError, match="Invalid metadata") as caught:
        api._validate_yaml(_with(extra))
    assert message in str(caught.value)


def test_a_relation_needs_a_base_model(api: HfApi) -> None:
    card = _with("base_model_relation: merge\n", QUOTED.replace("base_model: ", "x_base: "))
    with pytest.raises(ValueError, match="Invalid metadata") as caught:
        api._validate_yaml(card)
    assert '"base_model_relation" needs "base_model"' in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ("", ['"license_name"', '"license_link"']),
        ("license_name: nb-license\n", ['"license_link"']),
        ("license_link: LICENSE\n", ['"license_name"']),
        ("license_name: ''\nlicense_link: LICENSE\n", ['"license_name"']),
    ],
)
def test_license_other_needs_its_name_and_link(api: HfApi, extra: str, missing: list[str]) -> None:
    card = _with(extra, QUOTED.replace("license: llama3.1", "license: other"))
    with pytest.raises(ValueError, match="Invalid metadata") as caught:
        api._validate_yaml(card)
    for key in missing:
        assert f'{key} is required when "license" is "other"' in str(caught.value)
    assert str(caught.value).count("is required when") == len(missing)


def test_a_model_index_without_results_fails_the_commit_before_any_upload(
    api: HfApi, hub: LocalHub
) -> None:
    hub.seed(REPO, {})
    hub.counters.reset()
    bad = _with("model-index: [{name: x}]\n")
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md") as caught:
        api.create_commit(
            REPO, [CommitOperationAdd("README.md", bad.encode())], commit_message="Bad"
        )
    assert '"model-index[0].results" is required' in str(caught.value)
    assert hub.counters.writes() == 0
