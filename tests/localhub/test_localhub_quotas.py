"""Rate limits per bucket (docs/hub-http-api.md): 429 with Retry-After, RateLimit and
RateLimit-Policy as the Hub sends them, read back with huggingface_hub's own parser; quota use
in /_admin/counters."""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers

from pipeline.errors import PipelineError
from pipeline.localhub import LocalHub, Quota
from pipeline.localhub.cli import add_serve_arguments
from pipeline.localhub.quotas import COMMIT_QUOTA_MESSAGE, QuotaBook, buckets_of
from tests.localhub.localhub_support import send

REPO = "NbAiLab/nb-llama"


def commit_body(text: str) -> bytes:
    lines = [
        {"key": "header", "value": {"summary": "Update", "description": ""}},
        {
            "key": "file",
            "value": {
                "path": "notes.txt",
                "content": base64.b64encode(text.encode()).decode(),
                "encoding": "base64",
            },
        },
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


@pytest.mark.parametrize(
    ("spec", "quota"),
    [
        ("api=1000/300", Quota("api", 1000, 300)),
        ("resolvers=5000/300", Quota("resolvers", 5000, 300)),
        ("commits=0/3600", Quota("commits", 0, 3600)),
    ],
)
def test_quota_specs(spec: str, quota: Quota) -> None:
    assert Quota.parse(spec) == quota
    assert quota.spec() == spec


@pytest.mark.parametrize("spec", ["api", "api=10", "api=10/0", "pages=1/1", "api=-1/3", "api=1/x"])
def test_bad_quota_specs_are_refused(spec: str) -> None:
    with pytest.raises(PipelineError):
        Quota.parse(spec)


def test_buckets_as_the_hub_counts_them() -> None:
    assert buckets_of("resolve") == ("resolvers",)
    assert buckets_of("commit") == ("api", "commits")
    assert buckets_of("whoami") == ("api", "whoami")
    assert buckets_of("model_info") == ("api",)
    assert buckets_of("unknown") == ()


def test_the_api_bucket_answers_429_with_the_hubs_headers(hub: LocalHub) -> None:
    hub.seed(REPO, {"README.md": "# x\n"})
    hub.set_quotas([Quota("api", 3, 300)])
    remaining = []
    for _ in range(3):
        status, headers, _ = send(hub, "GET", f"/api/models/{REPO}")
        assert status == 200
        info = parse_ratelimit_headers(headers)
        assert info is not None and (info.limit, info.window_seconds) == (3, 300)
        remaining.append(info.remaining)
    assert remaining == [2, 1, 0]
    status, headers, body = send(hub, "GET", f"/api/models/{REPO}")
    assert status == 429
    info = parse_ratelimit_headers(headers)
    assert info is not None
    assert (info.resource_type, info.remaining, info.limit, info.window_seconds) == (
        "api",
        0,
        3,
        300,
    )
    assert 0 < info.reset_in_seconds <= 300
    assert headers["Retry-After"] == str(info.reset_in_seconds)
    assert "rate limit" in json.loads(body)["error"]
    # Downloads are another bucket, without a quota here.
    assert send(hub, "GET", f"/{REPO}/resolve/main/README.md")[0] == 200
    use = hub.quota_use()["api"]
    assert (use["used"], use["remaining"], use["refused"]) == (3, 0, 1)


def test_the_client_reads_the_429_as_a_rate_limit(hub: LocalHub, api: HfApi) -> None:
    hub.seed(REPO, {})
    hub.set_quotas([Quota("api", 0, 300)])
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info(REPO)  # model_info is not retried by the client
    assert caught.value.response.status_code == 429
    assert "you have reached your 'api' rate limit" in str(caught.value)


def test_the_hourly_commit_quota(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    hub.set_quotas([Quota("commits", 1, 3600)])
    commit = f"/api/models/{REPO}/commit/main"
    assert send(hub, "POST", commit, commit_body("one"))[0] == 200
    repo = hub.store.get_repo(REPO)
    assert repo is not None
    head = hub.store.head(repo)
    status, headers, body = send(hub, "POST", commit, commit_body("two"))
    assert status == 429
    assert json.loads(body)["error"] == COMMIT_QUOTA_MESSAGE
    assert headers["X-Error-Message"] == COMMIT_QUOTA_MESSAGE
    info = parse_ratelimit_headers(headers)
    assert info is not None and info.resource_type == "commits" and info.window_seconds == 3600
    assert hub.store.head(repo) == head  # refused: nothing written
    assert send(hub, "GET", f"/api/models/{REPO}")[0] == 200  # reads go on


def test_whoami_has_a_bucket_of_its_own(hub: LocalHub, api: HfApi) -> None:
    hub.set_quotas([Quota("whoami", 1, 300), Quota("api", 100, 300)])
    assert api.whoami()["name"] == "local-user"
    with pytest.raises(HfHubHTTPError) as caught:
        api.whoami()
    assert caught.value.response.status_code == 429
    assert "rate limit for the /whoami-v2 endpoint" in str(caught.value)  # the client's words
    info = parse_ratelimit_headers(caught.value.response.headers)
    assert info is not None and (info.resource_type, info.remaining) == ("whoami", 0)
    assert hub.quota_use()["api"]["used"] == 1  # the refused call used nothing


def test_a_window_resets_after_its_length() -> None:
    now = [100.0]
    book = QuotaBook([Quota("api", 2, 300)], clock=lambda: now[0])
    assert book.take("model_info")[0] is None
    now[0] += 10
    assert book.take("whoami")[0] is None
    refusal, headers = book.take("model_info")
    assert refusal is not None and headers["Retry-After"] == "290"
    assert headers["RateLimit"] == '"api";r=0;t=290'
    now[0] += 290
    refusal, headers = book.take("model_info")
    assert refusal is None and headers["RateLimit"] == '"api";r=1;t=300'
    assert book.to_json()["api"] == {
        "limit": 2,
        "window_s": 300,
        "used": 1,
        "remaining": 1,
        "reset_s": 300,
        "refused": 1,
    }
    assert book.take("resolve") == (None, {})  # no resolvers quota


def test_a_refused_request_uses_no_quota_of_other_buckets() -> None:
    book = QuotaBook([Quota("api", 5, 300), Quota("commits", 0, 3600)], clock=lambda: 0.0)
    assert book.take("commit")[0] is not None
    assert book.to_json()["api"]["used"] == 0


def test_quotas_through_the_admin_endpoint_and_counters(hub: LocalHub) -> None:
    hub.seed(REPO, {})
    body = json.dumps({"commits": "1/3600", "api": {"limit": 100, "window_s": 300}}).encode()
    assert send(hub, "POST", "/_admin/quotas", body, token=False)[0] == 401
    status, _, answer = send(hub, "POST", "/_admin/quotas", body)
    assert status == 200 and json.loads(answer) == {"commits": "1/3600", "api": "100/300"}
    assert json.loads(send(hub, "GET", "/_admin/quotas")[2]) == json.loads(answer)
    send(hub, "GET", f"/api/models/{REPO}")
    counters = json.loads(send(hub, "GET", "/_admin/counters")[2])
    assert counters["quotas"]["api"]["used"] == 1
    assert counters["quotas"]["commits"]["used"] == 0
    for bad in (b'{"pages": "1/1"}', b'{"api": "x"}', b'{"api": {"limit": 1}}', b"[1]"):
        status, _, answer = send(hub, "POST", "/_admin/quotas", bad)
        assert status == 400, answer
    assert send(hub, "POST", "/_admin/quotas", b"null")[0] == 200
    assert json.loads(send(hub, "GET", "/_admin/counters")[2])["quotas"] == {}


def test_serve_options_parse_quotas() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args(["--quota", "api=1000/300", "--quota", "commits=5/3600"])
    assert args.quota == [Quota("api", 1000, 300), Quota("commits", 5, 3600)]
    assert parser.parse_args([]).quota == []


def test_a_bad_quota_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.localhub", "--root", str(tmp_path), "--quota", "api=x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "invalid quota 'api=x'" in run.stderr and "BUCKET=LIMIT/WINDOW_SECONDS" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "tokens").exists()  # nothing started
