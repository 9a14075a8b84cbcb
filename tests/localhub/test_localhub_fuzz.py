"""A small run of the local Hub fuzzer (fuzz.py): generated requests, valid-looking and broken,
against a served local Hub in a process of its own. `make reliability` runs the big one."""

from __future__ import annotations

from tests.localhub.fuzz import run


def test_200_generated_requests_get_no_5xx_and_the_hub_stays_healthy() -> None:
    # strict: the first bad answer fails inside hypothesis, which shrinks it to a small request.
    report = run(200, seed=1, strict=True)
    assert report.requests >= 200, report.line()
    assert report.ok, report.line()
    assert report.statuses.get("2xx", 0) > 0 and report.statuses.get("4xx", 0) > 0
