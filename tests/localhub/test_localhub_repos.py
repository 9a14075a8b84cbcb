"""Repo-level calls of the unmodified client: create, exists, info, listing, whoami, auth."""

from __future__ import annotations

import secrets

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import CARD, PAGE_SIZE

# Tokens of their own: nb-release binds each token it has used to its Hub's origin for the rest
# of the process (hub/_answers.guard_token), so a token another test used elsewhere would not
# be sent here.
READER = f"hf_local_reader_{secrets.token_hex(8)}"
FINE = f"hf_local_fine_{secrets.token_hex(8)}"


def test_create_repo_returns_its_url_and_starts_with_an_initial_commit(api: HfApi) -> None:
    url = api.create_repo("NbAiLab/nb-llama")
    assert url == f"{api.endpoint}/NbAiLab/nb-llama"
    assert url.repo_id == "NbAiLab/nb-llama"
    commits = api.list_repo_commits("NbAiLab/nb-llama")
    assert [(c.title, c.authors) for c in commits] == [("initial commit", ["system"])]
    assert api.list_repo_files("NbAiLab/nb-llama") == [".gitattributes"]


def test_create_repo_twice_is_409_unless_exist_ok(api: HfApi) -> None:
    api.create_repo("NbAiLab/nb-llama")
    # The Hub's ids are case-insensitive: the existing repo's own spelling comes back.
    assert api.create_repo("nbailab/NB-LLAMA", exist_ok=True).repo_id == "NbAiLab/nb-llama"
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_repo("NbAiLab/nb-llama")
    assert caught.value.response.status_code == 409


def test_create_repo_without_namespace_uses_the_token_user(api: HfApi) -> None:
    assert api.create_repo("solo").repo_id == "local-user/solo"


def test_repo_exists(api: HfApi) -> None:
    api.create_repo("NbAiLab/nb-llama")
    assert api.repo_exists("NbAiLab/nb-llama")
    assert not api.repo_exists("NbAiLab/missing")


def test_model_info_full_and_expanded(api: HfApi, hub: LocalHub) -> None:
    sha = hub.seed("NbAiLab/nb-llama", {"README.md": CARD, "config.json": "{}"})
    info = api.model_info("NbAiLab/nb-llama")
    assert info.id == "NbAiLab/nb-llama"
    assert info.sha == sha
    assert info.private is False
    assert info.pipeline_tag == "text-generation"
    assert info.siblings is not None
    assert sorted(s.rfilename for s in info.siblings) == [
        ".gitattributes",
        "README.md",
        "config.json",
    ]
    # cardData follows YAML 1.2 (like the Hub's js-yaml): `no` stays the string "no".
    assert info.card_data is not None
    assert info.card_data.language == ["no", "nb", "en"]
    assert info.card_data.license == "llama3.1"
    expanded = api.model_info("NbAiLab/nb-llama", expand=["sha", "cardData"])
    assert expanded.sha == sha
    assert expanded.siblings is None and expanded.private is None
    with_blobs = api.model_info("NbAiLab/nb-llama", files_metadata=True)
    assert with_blobs.siblings is not None
    sizes = {s.rfilename: s.size for s in with_blobs.siblings}
    assert sizes["config.json"] == 2


def test_model_info_at_a_revision(api: HfApi, hub: LocalHub) -> None:
    first = hub.seed("NbAiLab/nb-llama", {"README.md": CARD})
    second = hub.seed("NbAiLab/nb-llama", {"README.md": CARD.replace("llama3.1", "mit")})
    assert api.model_info("NbAiLab/nb-llama", revision=first).sha == first
    old = api.model_info("NbAiLab/nb-llama", revision=first).card_data
    assert old is not None and old.license == "llama3.1"
    assert api.model_info("NbAiLab/nb-llama", revision="main").sha == second
    with pytest.raises(RevisionNotFoundError):
        api.model_info("NbAiLab/nb-llama", revision="nope")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("NbAiLab/nb-llama", revision="0" * 40)


def test_model_info_of_a_missing_repo(api: HfApi) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("NbAiLab/missing")


def test_private_repo_is_404_without_a_token(api: HfApi, anon: HfApi) -> None:
    api.create_repo("NbAiLab/secret", private=True)
    assert api.model_info("NbAiLab/secret").private is True
    with pytest.raises(RepositoryNotFoundError):
        anon.model_info("NbAiLab/secret")
    assert not anon.repo_exists("NbAiLab/secret")
    assert [m.id for m in anon.list_models(author="NbAiLab")] == []
    assert [m.id for m in api.list_models(author="NbAiLab")] == ["NbAiLab/secret"]


def test_list_models_pages_through_link_headers(api: HfApi, hub: LocalHub) -> None:
    names = [f"NbAiLab/m{i}" for i in range(2 * PAGE_SIZE + 1)]
    for name in names:
        hub.seed(name, {"README.md": CARD})
    hub.seed("someone/else", {"README.md": CARD})
    hub.counters.reset()
    models = list(api.list_models(author="NbAiLab", expand=["sha", "cardData", "lastModified"]))
    assert [m.id for m in models] == names
    assert all(m.sha and m.last_modified and m.card_data for m in models)
    assert all(m.siblings is None for m in models)
    # Three pages, the second and third fetched from absolute Link URLs.
    assert hub.counters.get("list_models", "GET") == 3
    assert len(list(api.list_models(author="NbAiLab", limit=3))) == 3
    everyone = [m.id for m in api.list_models(search="else")]
    assert everyone == ["someone/else"]


def test_whoami(api: HfApi, hub: LocalHub) -> None:
    hub.seed("NbAiLab/nb-llama", {})
    me = api.whoami()
    assert me["name"] == "local-user"
    assert me["type"] == "user"
    assert [org["name"] for org in me["orgs"]] == ["NbAiLab"]
    assert me["auth"]["accessToken"]["role"] == "write"


def test_a_bad_token_is_401_with_the_hubs_message(hub: LocalHub) -> None:
    bad = HfApi(endpoint=hub.url, token="hf_not_a_real_token")
    with pytest.raises(HfHubHTTPError) as caught:
        bad.create_repo("NbAiLab/nb-llama")
    assert caught.value.response.status_code == 401
    assert caught.value.response.headers["X-Error-Message"] == (
        "Invalid credentials in Authorization header"
    )
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        bad.whoami()


def test_writes_without_a_token_are_401(hub: LocalHub, anon: HfApi) -> None:
    hub.seed("NbAiLab/nb-llama", {})
    with pytest.raises(HfHubHTTPError) as caught:
        anon.create_repo("NbAiLab/other")
    assert caught.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as caught:
        anon.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="NbAiLab/nb-llama")
    assert caught.value.response.status_code == 401
    # Reading a public repo needs no token.
    assert anon.model_info("NbAiLab/nb-llama").id == "NbAiLab/nb-llama"


def test_the_token_file_is_private_and_tokens_can_be_added(hub: LocalHub) -> None:
    assert hub.token_file.stat().st_mode & 0o777 == 0o600
    assert hub.token.startswith("hf_local_")
    with hub.token_file.open("a", encoding="utf-8") as handle:
        handle.write("hf_local_second alice\n")
    assert HfApi(endpoint=hub.url, token="hf_local_second").whoami()["name"] == "alice"


def test_a_read_token_says_so_in_whoami_and_is_refused_every_write(hub: LocalHub) -> None:
    hub.seed("NbAiLab/nb-llama", {})
    with hub.token_file.open("a", encoding="utf-8") as handle:
        handle.write(f"{READER} bob read\n")
    reader = HfApi(endpoint=hub.url, token=READER)
    assert reader.whoami()["auth"]["accessToken"]["role"] == "read"
    assert reader.model_info("NbAiLab/nb-llama").id == "NbAiLab/nb-llama"
    with pytest.raises(HfHubHTTPError) as caught:
        reader.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="NbAiLab/nb-llama")
    assert caught.value.response.status_code == 403


def test_a_fine_grained_token_answers_its_scopes(hub: LocalHub) -> None:
    with hub.token_file.open("a", encoding="utf-8") as handle:
        handle.write(f"{FINE} carol fineGrained org:NbAiLab model:other/x=repo.content.read\n")
    token = HfApi(endpoint=hub.url, token=FINE).whoami()["auth"]["accessToken"]
    assert token["role"] == "fineGrained"
    assert token["fineGrained"]["scoped"] == [
        {
            "entity": {"type": "org", "name": "NbAiLab"},
            "permissions": ["repo.content.read", "repo.write"],
        },
        {"entity": {"type": "model", "name": "other/x"}, "permissions": ["repo.content.read"]},
    ]


@pytest.mark.parametrize(
    "line",
    [
        "hf_local_x bob admin",
        "hf_local_x bob read org:NbAiLab",
        "hf_local_x bob fineGrained team:x",
    ],
)
def test_a_token_line_with_an_unknown_role_or_scope_is_refused(hub: LocalHub, line: str) -> None:
    from pipeline.errors import PipelineError
    from pipeline.localhub.auth import Tokens

    path = hub.root / "other-tokens"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"other-tokens:1: expected 'TOKEN USERNAME \[ROLE"):
        Tokens(path)
