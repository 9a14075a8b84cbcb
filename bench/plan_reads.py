"""Benchmark: reading the live cards of the family, concurrent against sequential.

Runs `build_plan` for the real manifest against a local Hub with injected latency, once with one
reader (the baseline) and once with nb-release's default concurrency, in the same run, and prints
the ratio and the request counts. Usage: .venv/bin/python bench/plan_reads.py [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.card.render import Selection
from pipeline.hub.client import DEFAULT_CONCURRENCY, Hub, Target
from pipeline.localhub import FaultConfig, LocalHub
from pipeline.manifest.sources import Sources
from pipeline.plan.planning import build_plan

ROOT = Path(__file__).resolve().parent.parent


def _time_plan(hub: LocalHub, concurrency: int, repeats: int) -> tuple[float, int]:
    sources = Sources(ROOT / "models.toml", ROOT / "cards")
    times = []
    for _ in range(repeats):
        client = Hub(Target(url=hub.url, token=hub.token), concurrency)
        hub.counters.reset()
        start = time.perf_counter()
        build_plan(sources, Selection(), client, hub.url)
        times.append(time.perf_counter() - start)
    return statistics.median(times), hub.counters.total()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LocalHub(Path(folder)) as hub:
        client = Hub(Target(url=hub.url, token=hub.token))
        sources = Sources(ROOT / "models.toml", ROOT / "cards")
        plan = build_plan(sources, Selection(), client, hub.url)
        for entry in plan.entries:
            client.create_repo(entry.repo_id)
        hub.set_faults(FaultConfig(latency_ms=args.latency_ms))
        sequential, requests_1 = _time_plan(hub, 1, args.repeats)
        concurrent, requests_n = _time_plan(hub, DEFAULT_CONCURRENCY, args.repeats)
    print(f"repos: {len(plan.entries)}, latency: {args.latency_ms:.0f} ms a request")
    print(f"baseline, 1 reader:      {sequential:.3f} s, {requests_1} requests")
    print(f"nb-release, {DEFAULT_CONCURRENCY} readers:  {concurrent:.3f} s, {requests_n} requests")
    print(f"speed-up: {sequential / concurrent:.2f}x")


if __name__ == "__main__":
    main()
