"""The files and arguments nb-release reads: what a pull request or a stray path can put there.

Templates run in CI with the token in the environment, so a file under cards/ must be a regular
file inside cards/ (a link to /proc/self/environ would publish the token in a card). Every local
read is of a regular file within a size bound: a FIFO must not block, /dev/zero or a 4 GB sparse
file must not be read. Repo-id arguments and plan files that would have given a traceback give
a usage error or a located error.

The reads that hung or exhausted the memory before run in a subprocess with a timeout and an
address-space limit, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.exitcodes import EXIT_USAGE
from pipeline.manifest.sources import read_sources
from pipeline.plan.planfile import MAX_PLAN_DEPTH

ROOT = Path(__file__).resolve().parent.parent
SENTINEL = "nb-release-sentinel-4f1c9e"
# The subprocess may use this much address space: far more than nb-release needs, far less than
# reading /dev/zero or a 4 GB file whole would take.
ADDRESS_SPACE = 2 * 1024 * 1024 * 1024
TIMEOUT = 60  # seconds; a run takes about one


def _project(folder: Path) -> Path:
    shutil.copytree(ROOT / "cards", folder / "cards")
    shutil.copy(ROOT / "models.toml", folder / "models.toml")
    return folder


def _include_in_layout(project: Path, name: str) -> None:
    """Make every card include cards/`name` (appended to the layout, after its last block)."""
    layout = project / "cards" / "_layout.md.j2"
    layout.write_text(layout.read_text(encoding="utf-8") + f'{{% include "{name}" %}}\n')


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`nb-release ARGS` in `project`, in a subprocess: its status and stdout + stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# --- symbolic links in cards/ ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "out"]])
def test_a_template_linked_to_the_environment_is_refused(
    tmp_path: Path, command: list[str]
) -> None:
    """cards/x.md.j2 -> /proc/self/environ, included by the layout: the token would be in every
    card. /proc/self/environ is the environment the process started with, so a subprocess."""
    project = _project(tmp_path)
    (project / "cards" / "x.md.j2").symlink_to("/proc/self/environ")
    _include_in_layout(project, "x.md.j2")

    status, output = _run(project, *command, env={"HF_TOKEN": SENTINEL})

    assert status == 1, output
    assert SENTINEL not in output
    assert "cards/x.md.j2: the file is a symbolic link to a place outside cards/" in output
    assert "Traceback" not in output
    assert not (project / "out").exists()


def test_a_template_linked_outside_cards_is_refused_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to a file of the project outside cards/ (a secret beside models.toml) is refused,
    and so is a linked folder; each is named, in one error."""
    project = _project(tmp_path)
    (project / "secret.txt").write_text(SENTINEL)
    (project / "cards" / "x.md.j2").symlink_to("../secret.txt")
    (project / "cards" / "parts").symlink_to("..", target_is_directory=True)
    _include_in_layout(project, "x.md.j2")
    monkeypatch.chdir(project)

    status = main(["validate"])

    out, err = capsys.readouterr()
    assert status == 1
    assert SENTINEL not in out + err
    assert err.startswith("error: the card templates cannot be read (2 problems):\n")
    assert "  cards/parts: the entry is a symbolic link to a folder" in err
    assert "  cards/x.md.j2: the file is a symbolic link to a place outside cards/\n" in err


def test_a_link_to_a_file_inside_cards_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Allowed: a link whose real path lies inside cards/ reads nothing the templates could not
    include anyway; its real path is what is checked, not its name."""
    project = _project(tmp_path)
    (project / "cards" / "parts").mkdir()
    (project / "cards" / "parts" / "note.md.j2").write_text("A note shared by every card.\n")
    (project / "cards" / "note.md.j2").symlink_to("parts/note.md.j2")
    _include_in_layout(project, "note.md.j2")
    monkeypatch.chdir(project)

    status = main(["render", "--out", "out"])

    assert status == 0, capsys.readouterr().err
    card = project / "out" / "NbAiLab" / "nb-llama-3.1-8B" / "README.md"
    assert card.read_text(encoding="utf-8").endswith("A note shared by every card.\n")


def test_a_dangling_link_in_cards_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    (project / "cards" / "gone.md.j2").symlink_to("nowhere.md.j2")
    monkeypatch.chdir(project)

    assert main(["validate"]) == 1
    assert "  cards/gone.md.j2: the file is a symbolic link to nothing\n" in capsys.readouterr().err


def test_the_fingerprint_refuses_what_the_loader_refuses(tmp_path: Path) -> None:
    """The fingerprint (plan, apply) reads cards/ through the same reader as the templates."""
    project = _project(tmp_path)
    (project / "secret.txt").write_text(SENTINEL)
    (project / "cards" / "notes.txt").symlink_to("../secret.txt")  # no template includes it

    with pytest.raises(Exception, match="a place outside") as caught:
        read_sources(project / "models.toml", project / "cards")
    assert SENTINEL not in str(caught.value)


# --- FIFOs, devices, sparse files: regular files only, within a bound ------------------------


def test_a_fifo_manifest_does_not_block(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "models.toml").unlink()
    os.mkfifo(project / "models.toml")  # no writer: a plain open() waits for one for ever

    status, output = _run(project, "validate")

    assert status == 1, output
    assert "models.toml: the file is a FIFO, not a regular file" in output


def test_a_fifo_in_cards_does_not_block(tmp_path: Path) -> None:
    project = _project(tmp_path)
    os.mkfifo(project / "cards" / "pipe.md.j2")

    status, output = _run(project, "validate")

    assert status == 1, output
    assert "cards/pipe.md.j2: the file is a FIFO, not a regular file" in output


def test_a_sparse_4_gb_template_is_refused_unread(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with open(project / "cards" / "big.md.j2", "wb") as handle:
        handle.truncate(4 * 1024**3)  # sparse: no disk, no memory, until someone reads it

    status, output = _run(project, "validate")

    assert status == 1, output
    expected = (
        "cards/big.md.j2: the file is larger than 2097152 bytes, the most a template may have"
    )
    assert expected in output
    assert "Traceback" not in output


@pytest.mark.parametrize("plan", ["/dev/zero", "sparse.json", "fifo.json"])
def test_apply_reads_no_endless_plan(tmp_path: Path, plan: str) -> None:
    project = _project(tmp_path)
    if plan == "sparse.json":
        with open(project / plan, "wb") as handle:
            handle.truncate(4 * 1024**3)
    if plan == "fifo.json":
        os.mkfifo(project / plan)

    status, output = _run(project, "apply", plan)

    assert status == 1, output
    assert output.startswith(f"error: {plan}: cannot read the plan: the file is "), output
    assert "Traceback" not in output


# --- plan files nested too deep --------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_PLAN_DEPTH + 1, 1_000, 100_000])
def test_a_deeply_nested_plan_is_a_located_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    depth: int,
) -> None:
    project = _project(tmp_path)
    (project / "plan.json").write_text('{"entries": ' + "[" * depth + "]" * depth + "}")
    monkeypatch.chdir(project)

    status = main(["apply", "plan.json"])

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith(
        f"error: plan.json:1:{12 + MAX_PLAN_DEPTH}: not a plan file: objects and arrays nest "
        f"more than {MAX_PLAN_DEPTH} levels deep here\n"
    ), err
    assert len(err) < 500


# --- repo-id arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["history", "NbAiLab/../etc"],
            "argument REPO: a repo id must be 'namespace/name' with exactly one '/', "
            "got 'NbAiLab/../etc'",
        ),
        (
            ["history", "NbAiLab/nb-llama-3.1-8B", "NbAiLab/.."],
            "argument REPO: the name of 'NbAiLab/..' contains '..' or '--', which the Hub refuses",
        ),
        (
            ["restore", "../../x", "--to", "abc"],
            "argument REPO: a repo id must be 'namespace/name' with exactly one '/', got '../../x'",
        ),
        (
            ["restore", "NbAiLab/x y", "--to", "abc"],
            "argument REPO: the name of 'NbAiLab/x y' may hold only letters, digits",
        ),
    ],
)
def test_a_bad_repo_id_argument_is_a_usage_error(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(args)

    assert caught.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"nb-release {args[0]}: error: {expected}" in err
    assert "Traceback" not in err


# --- a byte order mark -----------------------------------------------------------------------


def test_a_byte_order_mark_in_a_template_means_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editors on Windows start a UTF-8 file with one; it used to hide every card's front matter."""
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    assert main(["render", "--out", "plain"]) == 0
    for name in ("_layout.md.j2", "base.md.j2"):
        template = project / "cards" / name
        template.write_bytes(b"\xef\xbb\xbf" + template.read_bytes())

    status = main(["render", "--out", "bom"])

    assert status == 0, capsys.readouterr().err
    assert _all_bytes(project / "bom") == _all_bytes(project / "plain")


def test_a_template_not_in_utf8_is_one_located_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    layout = project / "cards" / "_layout.md.j2"
    layout.write_bytes(layout.read_bytes() + b"\n\xff\n")
    lines = layout.read_bytes().count(b"\n")
    monkeypatch.chdir(project)

    assert main(["validate"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        "error: the card templates cannot be rendered (1 problem):\n"
        f"  cards/_layout.md.j2:{lines}: template syntax error: the file is not UTF-8 text: "
        "byte 0xff cannot start or continue a character\n"
    ), err


def test_a_byte_that_is_not_utf8_is_named_at_its_place_after_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest and the templates are decoded by one rule (localfiles.decode_text): the
    byte named is the bad one, not the mark's, and its column counts the mark's three bytes."""
    project = _project(tmp_path)
    (project / "models.toml").write_bytes(b"\xef\xbb\xbf# a\xff\n")
    monkeypatch.chdir(project)

    assert main(["validate"]) == 1

    assert capsys.readouterr().err.startswith(
        "error: cannot read the manifest (1 problem):\n"
        "  models.toml:1:7: the file is not UTF-8 text: byte 0xff cannot start or continue a "
        "character\n"
    )


def test_a_missing_cards_folder_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "template not found" once per card (16 problems for one wrong --cards)."""
    project = _project(tmp_path)
    monkeypatch.chdir(project)

    assert main(["validate", "--cards", "nope"]) == 1

    assert capsys.readouterr().err == (
        "error: cannot read the templates in nope/: no such folder\n"
        "hint: --cards names the folder of card templates (default: cards)\n"
    )


def test_a_missing_template_of_many_cards_is_one_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    (project / "cards" / "base.md.j2").unlink()  # the template of four variants
    monkeypatch.chdir(project)

    assert main(["validate"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        "error: the card templates cannot be rendered (1 problem):\n"
        "  cards/base.md.j2: template 'base.md.j2' not found\n"
    ), err
    assert "while rendering 4 cards" in err
