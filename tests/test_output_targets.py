"""Where nb-release writes: the one writer (pipeline/atomic.py) and the commands that need no Hub.

A regular file (or a new path) is replaced atomically; anything else that exists (a FIFO, a pipe
behind /dev/stdout, a character device such as /dev/full) is written in place, never replaced by
a regular file. `render` never follows a symbolic link under --out. A path or stream that cannot
be written is a located error and exit 1, never a traceback.

/dev/full itself is reached through a link in the test's folder: a writer that renames over its
target then replaces the link, not the machine's device (the tests run as root in CI).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.atomic import write_bytes_atomically, write_text_atomically
from pipeline.cli.main import main
from pipeline.errors import OutputError
from tests.fifo_reader import FifoReader

ROOT = Path(__file__).resolve().parent.parent
CARD = Path("NbAiLab/nb-llama-3.1-8B/README.md")


# --- the writer ---------------------------------------------------------------------------------


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    data = b"x" * 300_000  # more than a pipe holds: the writer waits for the reader
    write_bytes_atomically(fifo, data)
    assert reader.finish() == data
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_link_to_a_pipe_like_dev_stdout_is_written_in_place(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write_end}")  # as /dev/stdout -> /proc/self/fd/1
    try:
        write_text_atomically(link, "report\n")
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as handle:
            read_end = -1
            assert handle.read() == b"report\n"
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    assert link.is_symlink(), "the link was replaced"


def test_a_link_to_the_file_that_is_stdout_appends_to_it(tmp_path: Path) -> None:
    """`plan --out /dev/stdout > plan.txt`: the plan goes after what was printed, as printing
    would; the file is not replaced, so what is printed later is not lost either."""
    script = (
        "import sys; from pathlib import Path; from pipeline.atomic import write_text_atomically\n"
        "print('before')\n"
        "write_text_atomically(Path(sys.argv[1]), 'plan\\n')\n"
        "print('after')\n"
    )
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")  # as /dev/stdout
    printed = tmp_path / "printed.txt"
    with open(printed, "wb") as stdout:
        subprocess.run(
            [sys.executable, "-c", script, str(link)], cwd=ROOT, stdout=stdout, check=True
        )
    assert printed.read_text() == "before\nplan\nafter\n"
    assert link.is_symlink()


def test_a_full_device_is_a_located_error(tmp_path: Path) -> None:
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    with pytest.raises(OutputError) as caught:
        write_text_atomically(link, "{}\n")
    assert caught.value.message == f"cannot write {link}: No space left on device"
    assert link.is_symlink() and os.readlink(link) == "/dev/full"
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_a_link_to_a_regular_file_replaces_that_file_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "plan.json"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    write_text_atomically(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.json"], "no temp file left"


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing/report.md", "the folder {parent} does not exist"),
        ("a-file/report.md", "{parent} is not a folder"),
        ("a-folder", "it is a folder"),
    ],
)
def test_a_path_that_cannot_be_written_is_a_located_error(
    where: str, reason: str, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("keep\n")
    (tmp_path / "a-folder").mkdir()
    path = tmp_path / where
    with pytest.raises(OutputError) as caught:
        write_text_atomically(path, "text\n")
    assert caught.value.message == f"cannot write {path}: " + reason.format(parent=path.parent)
    assert (tmp_path / "a-file").read_text() == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]


# --- render --out ------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "cards", tmp_path / "cards")
    shutil.copy(ROOT / "models.toml", tmp_path / "models.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_render_never_writes_through_a_linked_folder_under_out(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = project / "elsewhere"
    (elsewhere / CARD.parent).mkdir(parents=True)
    (elsewhere / CARD).write_text("not nb-release's\n")
    (project / "out").mkdir()
    (project / "out/NbAiLab").symlink_to(elsewhere / "NbAiLab")

    for argv in (["render", "--out", "out"], ["render", "--out", "out", "--check"]):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert err == (
            "error: cannot write out/NbAiLab: it is a symbolic link; render never writes "
            "through one under --out\n"
            "hint: remove the link, or render into a folder of its own\n"
        )
        assert out == ""
    assert _files(elsewhere) == {str(CARD): b"not nb-release's\n"}
    assert [p.name for p in (project / "out").iterdir()] == ["NbAiLab"], "nothing written"


def test_render_never_writes_through_a_linked_card_under_out(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = project / "outside.txt"
    outside.write_text("precious\n")
    card = project / "out" / CARD
    card.parent.mkdir(parents=True)
    card.symlink_to(outside)

    assert main(["render", "--out", "out"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write out/{CARD}: it is a symbolic link;")
    assert outside.read_text() == "precious\n"
    assert card.is_symlink()
    assert not (project / "out/NbAiLab/nb-llama-3.2-1B").exists(), "nothing written before"


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("a-file", "error: cannot write a-file: it is not a folder\n"),
        ("a-file/cards", "error: cannot write a-file/cards: a-file is not a folder\n"),
        ("/sys/nb-release", "error: cannot write /sys/nb-release: Operation not permitted\n"),
    ],
)
def test_render_into_what_is_not_a_folder_is_a_located_error(
    out: str, message: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a-file").write_text("keep\n")
    assert main(["render", "--out", out]) == 1
    stdout, err = capsys.readouterr()
    assert (stdout, err) == ("", message)
    assert (project / "a-file").read_text() == "keep\n"


# --- standard output -----------------------------------------------------------------------------


def _validate(stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", "--manifest", str(ROOT / "models.toml")],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_full_stdout_is_a_located_error() -> None:
    with open("/dev/full", "wb") as full:
        result = _validate(full.fileno())
    assert result.returncode == 1
    assert result.stderr == "error: cannot write to standard output: No space left on device\n"


def test_a_closed_pipe_on_stdout_is_a_located_error() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `nb-release plan | head -1` once head has exited
    try:
        result = _validate(write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == "error: cannot write to standard output: Broken pipe\n"
