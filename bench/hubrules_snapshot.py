"""Rebuild pipeline/hubrules_snapshot.json from the Hub's public sources (`make hubrules-snapshot`).

    python -m bench.hubrules_snapshot [--tasks-version V] [--licenses PATH_OR_URL] [--out FILE]

* pipeline tags and libraries: the npm package `@huggingface/tasks` (the Hub's own task and
  library tables), fetched with `npm pack` into a temporary folder and read with node: the keys
  of PIPELINE_DATA and of MODEL_LIBRARIES_UI_ELEMENTS;
* licenses: the table of hub-docs' docs/hub/repositories-licenses.md (between its
  `<!-- region licenses -->` markers), from GitHub or a local checkout.

Needs npm and node on PATH. `nb-release rules update` refreshes the same file from a Hub's
`/api/models-tags-by-type` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from pipeline import hubsnapshot
from pipeline.atomic import write_text_atomically

LICENSES_URL = (
    "https://raw.githubusercontent.com/huggingface/hub-docs/main/docs/hub/repositories-licenses.md"
)
# The Hub lists the weight formats and frameworks it detects from a repo's files beside the
# packages of @huggingface/tasks as libraries (the Libraries filter of huggingface.co/models):
# a card's `library_name: gguf` is one of them.
HUB_FORMAT_LIBRARIES = (
    "coreml gguf jax onnx openvino pytorch safetensors tensorboard tf tflite".split()
)
_READ_TASKS = """
const t = require(process.argv[1]);
console.log(JSON.stringify({
  pipeline_tags: Object.keys(t.PIPELINE_DATA),
  libraries: Object.keys(t.MODEL_LIBRARIES_UI_ELEMENTS),
}));
"""
_REGION = re.compile(r"<!-- region licenses -->(.*?)<!-- endregion -->", re.S)
_LICENSE_ROW = re.compile(r"^\|[^|]*\|\s*`([^`]+)`\s*\|\s*$", re.M)


def read_tasks(version: str) -> tuple[str, list[str], list[str]]:
    """(version, pipeline tags, library ids) of @huggingface/tasks at `version` ("latest")."""
    with tempfile.TemporaryDirectory() as folder:
        packed = subprocess.run(
            [
                "npm",
                "pack",
                f"@huggingface/tasks@{version}",
                "--json",
                "--pack-destination",
                folder,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        tarball = Path(folder, json.loads(packed.stdout)[0]["filename"])
        with tarfile.open(tarball) as archive:
            archive.extractall(folder, filter="data")
        package = Path(folder, "package")
        exact = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        index = package / "dist" / "commonjs" / "index.js"
        read = subprocess.run(
            ["node", "-e", _READ_TASKS, str(index)], capture_output=True, text=True, check=True
        )
    found = json.loads(read.stdout)
    return exact, list(found["pipeline_tags"]), list(found["libraries"])


def read_licenses(markdown: str) -> list[str]:
    """The license ids of hub-docs' table (the region its comments mark)."""
    region = _REGION.search(markdown)
    ids = _LICENSE_ROW.findall(region.group(1) if region else markdown)
    if not ids:
        raise SystemExit("no license table found (| Fullname | `id` | rows)")
    return ids


def _fetch(where: str) -> str:
    if re.match(r"https?://", where):
        with urllib.request.urlopen(where, timeout=60) as answer:
            return str(answer.read().decode("utf-8"))
    return Path(where).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hubrules_snapshot", description=__doc__)
    parser.add_argument("--tasks-version", default="latest", help="of @huggingface/tasks")
    parser.add_argument("--licenses", default=LICENSES_URL, help="repositories-licenses.md")
    parser.add_argument("--out", type=Path, default=hubsnapshot.SNAPSHOT_FILE)
    args = parser.parse_args(argv)
    version, tasks, libraries = read_tasks(args.tasks_version)
    licenses = read_licenses(_fetch(args.licenses))
    snapshot = hubsnapshot.make(
        f"npm @huggingface/tasks {version} (PIPELINE_DATA, MODEL_LIBRARIES_UI_ELEMENTS and the "
        "Hub's format libraries); hub-docs docs/hub/repositories-licenses.md",
        dt.datetime.now(dt.UTC).date().isoformat(),
        {
            "licenses": licenses,
            "pipeline_tags": tasks,
            "libraries": [*libraries, *HUB_FORMAT_LIBRARIES],
        },
    )
    write_text_atomically(args.out, hubsnapshot.dumps(snapshot))
    counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in snapshot.lists().items())
    print(f"wrote {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
