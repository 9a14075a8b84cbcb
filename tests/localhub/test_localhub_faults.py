"""Latency, injected faults and counters: retried where the client retries, surfaced elsewhere.

Each client retry sleeps about 1 s (`Retry-After: 0`), so the faults here are few and first-N.
"""

from __future__ import annotations

import threading
import time

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import get_session

from pipeline.errors import PipelineError
from pipeline.localhub import FaultConfig, LocalHub
from pipeline.localhub.faults import FaultPlan
from tests.localhub.localhub_support import CARD

REPO = "NbAiLab/nb-llama"


def one_fault(route: str, kind: str) -> FaultConfig:
    return FaultConfig(fault_rate=1.0, route=route, first_n=1, kinds=(kind,))


@pytest.mark.slow
def test_preupload_503_is_retried_by_the_client(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {})
    hub.set_faults(one_fault("preupload", "503"))
    hub.counters.reset()
    info = api.create_commit(
        REPO, [CommitOperationAdd("a.txt", b"a")], commit_message="Through a 503"
    )
    assert api.model_info(REPO).sha == info.oid
    assert hub.counters.get("preupload", "POST") == 2
    assert hub.counters.faults() == {"503": 1}


@pytest.mark.slow
def test_list_models_429_and_a_dropped_connection_are_retried(api: HfApi, hub: LocalHub) -> None:
    hub.seed(REPO, {})
    hub.set_faults(FaultConfig(fault_rate=1.0, route="list_models", first_n=1, kinds=("drop",)))
    assert [m.id for m in api.list_models(author="NbAiLab")] == [REPO]
    assert hub.counters.get("list_models") == 2
    hub.set_faults(one_fault("list_models", "429"))
    assert [m.id for m in api.list_models(author="NbAiLab")] == [REPO]
    assert hub.counters.faults() == {"429": 1, "drop": 1}


def test_model_info_and_commit_faults_surface(api: HfApi, hub: LocalHub) -> None:
    head = hub.seed(REPO, {"README.md": CARD})
    hub.set_faults(one_fault("model_info", "500"))
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info(REPO)
    assert caught.value.response.status_code == 500
    assert api.model_info(REPO).sha == head  # only the first request failed
    hub.set_faults(one_fault("commit", "503"))
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_commit(REPO, [CommitOperationAdd("b.txt", b"b")], commit_message="Lost")
    assert caught.value.response.status_code == 503
    # A fault is injected before the handler runs: the store did not change.
    assert api.model_info(REPO).sha == head
    assert hub.counters.get("commit", "POST") == 1
    assert hub.counters.writes() == 1


def test_429_carries_retry_after(hub: LocalHub) -> None:
    hub.set_faults(FaultConfig(fault_rate=1.0, kinds=("429",), retry_after=7))
    response = get_session().get(f"{hub.url}/api/models")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_latency_and_slow_answers(hub: LocalHub) -> None:
    hub.set_faults(FaultConfig(latency_ms=150, route="whoami"))
    started = time.monotonic()
    assert get_session().get(f"{hub.url}/api/models").status_code == 200
    assert time.monotonic() - started >= 0.15  # latency applies to every route
    hub.set_faults(FaultConfig(fault_rate=1.0, kinds=("slow",), slow_ms=200, route="list_models"))
    started = time.monotonic()
    assert get_session().get(f"{hub.url}/api/models").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_the_fault_stream_is_seeded() -> None:
    config = FaultConfig(fault_rate=0.5, fault_seed=42, jitter_ms=5)
    plans = [FaultPlan(config), FaultPlan(config)]
    runs = [[plan.decide("commit").fault for _ in range(50)] for plan in plans]
    assert runs[0] == runs[1]
    assert 5 < sum(kind is not None for kind in runs[0]) < 45
    assert {kind for kind in runs[0] if kind} <= {"500", "502", "503", "429", "drop"}


def test_bad_fault_configs_are_refused() -> None:
    with pytest.raises(PipelineError, match="fault_rate"):
        FaultConfig(fault_rate=2)
    with pytest.raises(PipelineError, match="unknown route"):
        FaultConfig(route="nope")
    with pytest.raises(PipelineError, match="fault kinds"):
        FaultConfig(kinds=("418",))


def test_admin_endpoint(hub: LocalHub, api: HfApi) -> None:
    session = get_session()
    auth = {"Authorization": f"Bearer {hub.token}"}
    hub.seed(REPO, {})
    api.model_info(REPO)
    counters = session.get(f"{hub.url}/_admin/counters").json()
    assert counters["requests"] == {"model_info": {"GET": 1}}
    assert counters["total"] == 1 and counters["writes"] == 0
    assert hub.counters.snapshot() == {("model_info", "GET"): 1}  # admin calls are not counted
    # Changing faults or counters is a write: it needs a token.
    assert session.post(f"{hub.url}/_admin/counters/reset").status_code == 401
    assert session.post(f"{hub.url}/_admin/counters/reset", headers=auth).json() == {"ok": True}
    assert hub.counters.total() == 0
    config = {"fault_rate": 1.0, "route": "model_info", "first_n": 1, "kinds": ["502"]}
    answer = session.post(f"{hub.url}/_admin/faults", json=config, headers=auth)
    assert answer.status_code == 200 and answer.json()["kinds"] == ["502"]
    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info(REPO)
    assert caught.value.response.status_code == 502
    bad = session.post(f"{hub.url}/_admin/faults", json={"fault_rate": "x"}, headers=auth)
    assert bad.status_code == 400 and "fault_rate" in bad.json()["error"]
    off = session.post(f"{hub.url}/_admin/faults", json={}, headers=auth)
    assert off.json()["fault_rate"] == 0.0
    assert session.get(f"{hub.url}/_admin/faults").json()["fault_rate"] == 0.0


def test_requests_answered_at_once_are_counted(hub: LocalHub, api: HfApi) -> None:
    hub.seed(REPO, {})
    api.model_info(REPO)
    api.list_models(author="NbAiLab")
    assert hub.counters.max_in_flight() == 1  # one after the other
    assert hub.counters.overlapped() == frozenset()
    hub.counters.reset()
    hub.set_faults(FaultConfig(latency_ms=500))
    first = threading.Thread(target=api.model_info, args=(REPO,))
    first.start()
    while hub.counters.max_in_flight() == 0:  # the first is held by the latency
        time.sleep(0.01)
    list(api.list_models(author="NbAiLab"))
    first.join()
    # The server counts a request answered once it has sent it: a moment after the client has it.
    deadline = time.monotonic() + 5
    while hub.counters.in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.counters.in_flight() == 0
    assert hub.counters.max_in_flight() == 2
    assert hub.counters.overlapped() == {"model_info", "list_models"}
    counters = get_session().get(f"{hub.url}/_admin/counters").json()
    assert counters["max_in_flight"] == 2
    hub.counters.reset()
    assert hub.counters.max_in_flight() == 0 and hub.counters.overlapped() == frozenset()
