"""Where the local Hub once answered otherwise than the Hub (500s, accepted input the
Hub refuses, no status line, a Host header echoed). Each is the Hub's 4xx now, and nothing changes.
"""

from __future__ import annotations

import base64
import json

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from pipeline.localhub import LocalHub
from tests.localhub.localhub_support import send, send_raw

REPO = "NbAiLab/nb-llama"
COMMIT = f"/api/models/{REPO}/commit/main"


def ndjson(*lines: object) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def readme_commit(text: str) -> bytes:
    content = base64.b64encode(text.encode()).decode()
    return ndjson(
        {"key": "header", "value": {"summary": "Update card", "description": ""}},
        {"key": "file", "value": {"path": "README.md", "content": content, "encoding": "base64"}},
    )


def assert_refused(answer: tuple[int, dict[str, str], bytes], status: int, words: str) -> None:
    got, headers, body = answer
    assert got == status, body[:300]
    assert words in json.loads(body)["error"]
    assert headers["X-Error-Message"]


@pytest.mark.parametrize(
    "path",
    [COMMIT, "/api/repos/create", f"/api/models/{REPO}/preupload/main", "/api/validate-yaml"],
)
def test_deeply_nested_json_is_400(hub: LocalHub, path: str) -> None:
    head = hub.seed(REPO, {"README.md": "# x\n"})
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (deep + b"\n", b'{"a": ' + deep + b"}\n"):
        assert_refused(send(hub, "POST", path, body), 400, "nested")
    assert hub.store.head(hub.store.get_repo(REPO)) == head  # type: ignore[arg-type]
    assert [r.repo_id for r in hub.store.list_repos()] == [REPO]


def test_deeply_nested_front_matter_is_refused_not_a_crash(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": "# x\n"})
    card = "---\na: " + "[" * 5000 + "]" * 5000 + "\n---\n# x\n"
    status, _, body = send(
        hub, "POST", "/api/validate-yaml", json.dumps({"content": card}).encode()
    )
    assert status == 400
    assert "nested" in json.loads(body)["errors"][0]["message"]
    assert_refused(send(hub, "POST", COMMIT, readme_commit(card)), 400, "Invalid metadata")


def test_an_integer_too_long_for_python_is_refused_not_a_crash(hub: LocalHub) -> None:
    # Python reads at most 4,300 digits into an int; the YAML parser's ValueError was a 500.
    hub.seed(REPO, {"README.md": "# x\n"})
    card = "---\nbig: " + "9" * 5000 + "\n---\n# x\n"
    status, _, body = send(
        hub, "POST", "/api/validate-yaml", json.dumps({"content": card}).encode()
    )
    assert status == 400
    assert "Invalid YAML" in json.loads(body)["errors"][0]["message"]
    assert_refused(send(hub, "POST", COMMIT, readme_commit(card)), 400, "Invalid metadata")


def test_a_yaml_alias_bomb_in_front_matter_is_refused_at_once(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    card = "---\n" + "\n".join(lines) + "\n---\n# x\n"  # 10**10 values once expanded
    status, _, body = send(
        hub, "POST", "/api/validate-yaml", json.dumps({"content": card}).encode()
    )
    assert status == 400
    assert "values" in json.loads(body)["errors"][0]["message"]


def test_front_matter_over_1_mib_is_refused_without_parsing(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    card = "---\n" + "".join(f"k{i}: value {i}\n" for i in range(60_000)) + "---\n# x\n"
    status, _, body = send(
        hub, "POST", "/api/validate-yaml", json.dumps({"content": card}).encode()
    )
    assert status == 400
    assert "over 1024 KiB" in json.loads(body)["errors"][0]["message"]


@pytest.mark.parametrize(
    "number", ["99999999999999999999999", "9223372036854775808", "%C2%B2", "-1"]
)
def test_a_discussion_number_out_of_range_is_404(hub: LocalHub, number: str) -> None:
    hub.seed(REPO, {})
    answer = send(hub, "GET", f"/api/models/{REPO}/discussions/{number}")
    assert_refused(answer, 404, "not found")


def test_out_of_range_page_numbers_are_400(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    huge = "99999999999999999999999"
    assert_refused(send(hub, "GET", f"/api/models?p={huge}"), 400, "page")
    assert_refused(send(hub, "GET", f"/api/models/{REPO}/discussions?p={huge}"), 400, "page")
    assert_refused(send(hub, "GET", f"/api/models/{REPO}/commits/main?p={huge}"), 400, "page")
    assert_refused(send(hub, "GET", "/api/models?p=%C2%B2"), 400, "page")
    assert_refused(send(hub, "GET", "/api/models?limit=%C2%B2"), 400, "limit")


@pytest.mark.parametrize("name", ["x.git", "X.GIT", "nb-llama.git"])
def test_a_repo_name_ending_in_dot_git_is_refused(hub: LocalHub, name: str) -> None:
    body = json.dumps({"name": name, "organization": "NbAiLab"}).encode()
    assert_refused(send(hub, "POST", "/api/repos/create", body), 400, ".git")
    assert hub.store.list_repos() == []


@pytest.mark.parametrize(
    "front_matter",
    [
        "license: [mit\n",  # unclosed flow sequence
        "license: mit\n  bad: indent\n",
        "a: b: c\n",
        "- a list, not a mapping\n",
        "license: not-a-license\n",  # valid YAML the Hub's metadata check refuses
    ],
)
def test_a_commit_with_invalid_readme_metadata_is_refused(hub: LocalHub, front_matter: str) -> None:
    head = hub.seed(REPO, {"README.md": "# x\n"})
    card = f"---\n{front_matter}---\n# NB-Llama\n"
    assert_refused(
        send(hub, "POST", COMMIT, readme_commit(card)), 400, "Invalid metadata in README.md"
    )
    repo = hub.store.get_repo(REPO)
    assert repo is not None and hub.store.head(repo) == head
    # The same text as a pull request is refused too, and opens no discussion.
    refused = send(hub, "POST", COMMIT + "?create_pr=1", readme_commit(card))
    assert_refused(refused, 400, "Invalid metadata in README.md")
    assert hub.store.discussions(repo) == []


def test_a_valid_readme_and_other_files_still_commit(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": "# x\n"})
    good = readme_commit("---\nlicense: mit\nlanguage:\n- no\n---\n# NB-Llama\n")
    assert send(hub, "POST", COMMIT, good)[0] == 200
    no_front_matter = readme_commit("# no metadata at all\n")
    assert send(hub, "POST", COMMIT, no_front_matter)[0] == 200
    # Only the card at the repo's root is checked: docs/README.md is a plain file.
    content = base64.b64encode(b"---\nlicense: [mit\n---\n").decode()
    other = ndjson(
        {"key": "header", "value": {"summary": "docs", "description": ""}},
        {
            "key": "file",
            "value": {"path": "docs/README.md", "content": content, "encoding": "base64"},
        },
    )
    assert send(hub, "POST", COMMIT, other)[0] == 200


@pytest.mark.parametrize(
    "line", [b"GET /api/models", b"GET /api/models HTTP", b"GET", b"POST /api/repos/create"]
)
def test_a_request_line_without_an_http_version_gets_a_status_line(
    hub: LocalHub, line: bytes
) -> None:
    answer = send_raw(hub, line + b"\r\n\r\n")
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), answer[:200]
    assert b'"error"' in answer
    assert send(hub, "GET", "/api/models")[0] == 200


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"\r\nQ\n\r\n", b" 400 "), (b"\r\nGET /api/models HTTP/1.1\r\nHost: x\r\n\r\n", b" 200 ")],
    ids=["empty-line-then-garbage", "empty-line-then-request"],
)
def test_one_empty_line_before_the_request_line_is_skipped(
    hub: LocalHub, raw: bytes, status: bytes
) -> None:
    # RFC 9112 section 2.2; the fuzzer found `\r\nQ\n` closed without an answer.
    answer = send_raw(hub, raw)
    assert status in answer.split(b"\r\n", 1)[0], answer[:200]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8080",
        "127.0.0.1:1",
        "localhost",
        "localhost:1",
    ],
)
def test_returned_urls_use_the_servers_own_url_not_the_host_header(
    hub: LocalHub, host: str
) -> None:
    hub.seed(REPO, {})
    hub.seed("NbAiLab/other", {})
    body = json.dumps({"name": "new", "organization": "NbAiLab"}).encode()
    status, _, answer = send(hub, "POST", "/api/repos/create", body, {"Host": host})
    assert status == 200
    assert json.loads(answer)["url"] == f"{hub.url}/NbAiLab/new"
    status, _, answer = send(hub, "POST", "/api/repos/create", body, {"Host": host})
    assert status == 409 and json.loads(answer)["url"] == f"{hub.url}/NbAiLab/new"
    status, _, answer = send(hub, "POST", COMMIT, readme_commit("# x\n"), {"Host": host})
    assert json.loads(answer)["commitUrl"].startswith(f"{hub.url}/{REPO}/commit/")
    status, headers, _ = send(hub, "GET", "/api/models", None, {"Host": host})
    assert headers["Link"].startswith(f"<{hub.url}/api/models?")  # PAGE_SIZE 2, 3 repos


def test_a_client_of_localhost_gets_localhost_urls(hub: LocalHub) -> None:
    # localhost is one of the server's own names on loopback: matched, not copied.
    port = hub.url.rsplit(":", 1)[1]
    api = HfApi(endpoint=f"http://localhost:{port}", token=hub.token)
    url = api.create_repo(REPO)
    assert url == f"http://localhost:{port}/{REPO}"
    info = api.create_commit(REPO, [CommitOperationAdd("a.txt", b"x")], commit_message="Add a.txt")
    assert info.commit_url.startswith(f"http://localhost:{port}/{REPO}/commit/")
    for host in (f"LOCALHOST:{port}", f"localhost:{port}"):
        body = json.dumps({"name": "new", "organization": "NbAiLab"}).encode()
        answer = send(hub, "POST", "/api/repos/create", body, {"Host": host})[2]
        assert json.loads(answer)["url"] == f"http://localhost:{port}/NbAiLab/new"


@pytest.mark.parametrize("private", ['"yes"', "1", '"true"', "[]", "{}"])
def test_private_must_be_a_boolean(hub: LocalHub, private: str) -> None:
    body = f'{{"name": "m", "organization": "NbAiLab", "private": {private}}}'.encode()
    assert_refused(send(hub, "POST", "/api/repos/create", body), 400, '"private"')
    assert hub.store.list_repos() == []


@pytest.mark.parametrize("private", ["true", "false", "null"])
def test_private_as_a_boolean_or_null_is_accepted(hub: LocalHub, private: str) -> None:
    body = f'{{"name": "m", "organization": "NbAiLab", "private": {private}}}'.encode()
    assert send(hub, "POST", "/api/repos/create", body)[0] == 200
    repo = hub.store.get_repo("NbAiLab/m")
    assert repo is not None and repo.private is (private == "true")


def test_lone_surrogates_in_json_strings_are_400(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    header = b'{"key": "header", "value": {"summary": "\\ud800", "description": ""}}\n'
    assert_refused(send(hub, "POST", COMMIT, header), 400, "surrogate")
    body = b'{"name": "m\\udfff", "organization": "NbAiLab"}'
    assert_refused(send(hub, "POST", "/api/repos/create", body), 400, "surrogate")
    body = b'{"title": "\\ud800", "pullRequest": false}'
    assert_refused(send(hub, "POST", f"/api/models/{REPO}/discussions", body), 400, "surrogate")


@pytest.mark.parametrize("length", ["\u00b2", "-1", "1e3", "99999999999999999999999"])
def test_odd_content_lengths_are_4xx(hub: LocalHub, length: str) -> None:
    request = (
        f"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}"
    ).encode("latin-1")
    status_line = send_raw(hub, request).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), status_line
    assert send(hub, "GET", "/api/models")[0] == 200
