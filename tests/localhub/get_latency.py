"""Median GET latency against the local Hub at zero injected latency (a stall in its answers,
such as Nagle's delay, shows here).

`python tests/localhub/get_latency.py`: an in-process LocalHub with one repo; 60 keep-alive GETs
of model info and of a README over http.client, and 40 HfApi.model_info calls; the first 10 of each
are warm-up. Prints the medians. A measurement, not a test: nothing asserts a time.
"""

from __future__ import annotations

import http.client
import statistics
import tempfile
import time
from pathlib import Path

from huggingface_hub import HfApi

from pipeline.localhub import LocalHub


def main() -> None:
    with tempfile.TemporaryDirectory() as root, LocalHub(Path(root)) as hub:
        hub.seed("a/b", {"README.md": "---\nlicense: mit\n---\n# x\n"})
        port = int(hub.url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for path in ("/api/models/a/b", "/a/b/resolve/main/README.md"):
            times = []
            for _ in range(60):
                start = time.perf_counter()
                connection.request("GET", path)
                connection.getresponse().read()
                times.append((time.perf_counter() - start) * 1000)
            print(f"GET {path}: median {statistics.median(times[10:]):.2f} ms (http.client)")
        connection.close()
        api = HfApi(endpoint=hub.url, token=hub.token)
        times = []
        for _ in range(40):
            start = time.perf_counter()
            api.model_info("a/b")
            times.append((time.perf_counter() - start) * 1000)
        print(f"HfApi.model_info: median {statistics.median(times[10:]):.2f} ms")


if __name__ == "__main__":
    main()
