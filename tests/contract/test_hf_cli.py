"""The `hf` CLI of huggingface_hub against the local Hub, command by command as its --help
documents them: every model-repo command a user of the real Hub would run."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.hf_api import RepoFile

from pipeline.localhub import LocalHub
from tests.contract.contract_support import USER, HfCli, big_bytes, sha256

CARD = "---\nlicense: mit\ntags:\n- contract\n---\n# A model\n\nThe card's text.\n"


def _seed(hub: LocalHub, name: str, files: dict[str, str] | None = None) -> str:
    """A repo `local-user/NAME` with a card and a config on main; the id of its head commit."""
    hub.seed(f"{USER}/{name}", files or {"README.md": CARD, "config.json": '{"a": 1}'})
    return f"{USER}/{name}"


def _lfs_of(hub: LocalHub, repo_id: str, path: str, revision: str = "main") -> RepoFile:
    [info] = HfApi(endpoint=hub.url, token=hub.token).get_paths_info(
        repo_id, [path], revision=revision
    )
    assert isinstance(info, RepoFile), info
    return info


def test_auth_whoami_names_the_tokens_user(hf: HfCli) -> None:
    assert hf.json("auth", "whoami")["user"] == USER


def test_auth_whoami_without_a_token_fails(hf: HfCli) -> None:
    done = hf.run("auth", "whoami", token=False)
    assert done.returncode != 0
    assert "Not logged in" in done.stderr + done.stdout


def test_repos_create_then_models_info(hf: HfCli) -> None:
    created = hf.json("repos", "create", f"{USER}/cli-created")
    assert created["repo_id"] == f"{USER}/cli-created"
    assert created["url"].endswith(f"/{USER}/cli-created")
    info = hf.json("models", "info", f"{USER}/cli-created")
    assert info["id"] == f"{USER}/cli-created"
    assert info["private"] is False
    assert len(info["sha"]) == 40


def test_repos_create_private_hides_it_from_anonymous_readers(hf: HfCli) -> None:
    hf.ok("repos", "create", f"{USER}/cli-private", "--private")
    assert hf.json("models", "info", f"{USER}/cli-private")["private"] is True
    anonymous = hf.run("models", "info", f"{USER}/cli-private", token=False)
    assert anonymous.returncode != 0


def test_repos_create_exist_ok(hf: HfCli) -> None:
    hf.ok("repos", "create", f"{USER}/cli-twice")
    assert hf.run("repos", "create", f"{USER}/cli-twice").returncode != 0
    hf.ok("repos", "create", f"{USER}/cli-twice", "--exist-ok")


def test_models_info_at_a_revision(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-revisions")
    first = hf.json("models", "info", repo)["sha"]
    hub.seed(repo, {"config.json": '{"a": 2}'})
    head = hf.json("models", "info", repo)["sha"]
    assert head != first
    assert hf.json("models", "info", repo, "--revision", first)["sha"] == first
    assert hf.json("models", "info", repo, "--revision", "main")["sha"] == head


def test_models_card_prints_the_readme(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-card")
    assert "The card's text." in hf.ok("models", "card", repo, "--text")
    assert "contract" in hf.ok("models", "card", repo, "--metadata")


def test_models_ls_by_search_and_author(hf: HfCli, hub: LocalHub) -> None:
    _seed(hub, "cli-findable-one")
    _seed(hub, "cli-findable-two")
    hub.seed("someone-else/cli-findable-three", {"README.md": CARD})
    found = {m["id"] for m in hf.json("models", "ls", "--search", "cli-findable")}
    assert found == {
        f"{USER}/cli-findable-one",
        f"{USER}/cli-findable-two",
        "someone-else/cli-findable-three",
    }
    by_author = {m["id"] for m in hf.json("models", "ls", "--author", "someone-else")}
    assert by_author == {"someone-else/cli-findable-three"}
    limited = hf.json("models", "ls", "--search", "cli-findable", "--limit", "2")
    assert len(limited) == 2


def test_models_ls_lists_a_repos_files(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-tree", {"README.md": CARD, "sub/deep/notes.txt": "n", "top.txt": "t"})
    listed = {f["path"] for f in hf.json("models", "ls", repo, "-R")}
    assert {"README.md", "sub/deep/notes.txt", "top.txt"} <= listed
    top = {f["path"] for f in hf.json("models", "ls", repo)}
    assert "sub/deep/notes.txt" not in top


def test_upload_a_file_then_download_it(hf: HfCli, tmp_path: Path) -> None:
    repo = f"{USER}/cli-upload-file"
    hf.ok("repos", "create", repo)
    (tmp_path / "hello.txt").write_text("hello, hub\n", encoding="utf-8")
    result = hf.json("upload", repo, str(tmp_path / "hello.txt"), "greeting.txt")
    assert "/commit/" in result["url"]
    path = Path(hf.json("download", repo, "greeting.txt")["path"])
    assert path.read_text(encoding="utf-8") == "hello, hub\n"


def test_upload_a_folder_then_download_the_whole_repo(hf: HfCli, tmp_path: Path) -> None:
    repo = f"{USER}/cli-upload-folder"
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"layers": 2}', encoding="utf-8")
    (folder / "sub" / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    # `hf upload` creates the repo when it is missing.
    hf.ok("upload", repo, str(folder), ".", "--commit-message", "Add the model")
    local = tmp_path / "copy"
    hf.ok("download", repo, "--local-dir", str(local))
    assert (local / "config.json").read_text(encoding="utf-8") == '{"layers": 2}'
    assert (local / "sub" / "vocab.txt").read_text(encoding="utf-8") == "a\nb\n"
    cached = Path(hf.json("download", repo)["path"])
    assert (cached / "sub" / "vocab.txt").read_text(encoding="utf-8") == "a\nb\n"


def test_download_at_a_commit_and_with_include(hf: HfCli, hub: LocalHub, tmp_path: Path) -> None:
    repo = _seed(hub, "cli-download-rev", {"a.json": "1", "b.txt": "first"})
    first = hf.json("models", "info", repo)["sha"]
    hub.seed(repo, {"b.txt": "second"})
    old = Path(hf.json("download", repo, "b.txt", "--revision", first)["path"])
    assert old.read_text(encoding="utf-8") == "first"
    only = tmp_path / "only"
    hf.ok("download", repo, "--include", "*.json", "--local-dir", str(only))
    assert (only / "a.json").is_file()
    assert not (only / "b.txt").exists()


def test_download_of_a_missing_file_fails(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-download-missing")
    done = hf.run("download", repo, "no-such-file.txt")
    assert done.returncode != 0


def test_upload_a_gguf_over_10_mb_goes_through_lfs(
    hf: HfCli, hub: LocalHub, tmp_path: Path
) -> None:
    repo = f"{USER}/cli-gguf"
    hf.ok("repos", "create", repo)
    weights = big_bytes(11 * 1024 * 1024, seed=1)
    (tmp_path / "model.gguf").write_bytes(weights)
    hf.ok("upload", repo, str(tmp_path / "model.gguf"))
    info = _lfs_of(hub, repo, "model.gguf")
    assert info.lfs is not None
    assert info.lfs.sha256 == sha256(weights)
    assert info.size == len(weights)
    path = Path(hf.json("download", repo, "model.gguf")["path"])
    assert sha256(path.read_bytes()) == sha256(weights)


def test_upload_a_small_safetensors_goes_through_lfs_by_gitattributes(
    hf: HfCli, hub: LocalHub, tmp_path: Path
) -> None:
    # A new repo's .gitattributes sends *.safetensors to LFS, whatever its size.
    repo = f"{USER}/cli-safetensors"
    hf.ok("repos", "create", repo)
    weights = big_bytes(2048, seed=2)
    (tmp_path / "model.safetensors").write_bytes(weights)
    hf.ok("upload", repo, str(tmp_path / "model.safetensors"))
    info = _lfs_of(hub, repo, "model.safetensors")
    assert info.lfs is not None
    assert info.lfs.sha256 == sha256(weights)
    path = Path(hf.json("download", repo, "model.safetensors")["path"])
    assert path.read_bytes() == weights


def test_upload_to_a_new_branch_with_revision(hf: HfCli, hub: LocalHub, tmp_path: Path) -> None:
    repo = _seed(hub, "cli-upload-branch")
    (tmp_path / "dev.txt").write_text("on dev", encoding="utf-8")
    # `hf upload --revision dev` creates the branch dev from main when it is missing.
    hf.ok("upload", repo, str(tmp_path / "dev.txt"), "--revision", "dev")
    on_dev = Path(hf.json("download", repo, "dev.txt", "--revision", "dev")["path"])
    assert on_dev.read_text(encoding="utf-8") == "on dev"
    assert hf.run("download", repo, "dev.txt").returncode != 0  # main is unchanged
    config = Path(hf.json("download", repo, "config.json", "--revision", "dev")["path"])
    assert config.read_text(encoding="utf-8") == '{"a": 1}'


def test_upload_create_pr_then_merge_it(hf: HfCli, hub: LocalHub, tmp_path: Path) -> None:
    repo = _seed(hub, "cli-upload-pr")
    (tmp_path / "fix.txt").write_text("a fix", encoding="utf-8")
    hf.ok("upload", repo, str(tmp_path / "fix.txt"), "--create-pr", "--commit-message", "Fix")
    [pr] = hf.json("discussions", "list", repo, "--kind", "pull_request")
    assert pr["is_pull_request"] is True
    assert pr["title"] == "Fix"
    num = str(pr["num"])
    on_pr = Path(hf.json("download", repo, "fix.txt", "--revision", f"refs/pr/{num}")["path"])
    assert on_pr.read_text(encoding="utf-8") == "a fix"
    assert hf.run("download", repo, "fix.txt").returncode != 0  # not on main before the merge
    hf.ok("discussions", "merge", repo, num, "--yes", "--comment", "Thanks")
    assert hf.json("discussions", "info", repo, num)["status"] == "merged"
    merged = Path(hf.json("download", repo, "fix.txt", "--force-download")["path"])
    assert merged.read_text(encoding="utf-8") == "a fix"


def test_discussions_create_comment_close_reopen(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-discussions")
    created = hf.json("discussions", "create", repo, "--title", "A question", "--body", "Why?")
    num = str(created["num"])
    hf.ok("discussions", "comment", repo, num, "--body", "Because.")
    info = hf.json("discussions", "info", repo, num)
    assert info["title"] == "A question"
    assert info["status"] == "open"
    hf.ok("discussions", "close", repo, num, "--yes", "--comment", "Answered")
    closed = hf.json("discussions", "list", repo, "--status", "closed")
    assert [d["num"] for d in closed] == [created["num"]]
    hf.ok("discussions", "reopen", repo, num, "--yes")
    assert hf.json("discussions", "info", repo, num)["status"] == "open"


def test_discussions_rename(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-discussion-rename")
    num = str(hf.json("discussions", "create", repo, "--title", "A question")["num"])
    hf.ok("discussions", "rename", repo, num, "A better question")
    assert hf.json("discussions", "info", repo, num)["title"] == "A better question"


def test_repos_tag_create_list_download_delete(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-tags")
    head = hf.json("models", "info", repo)["sha"]
    hf.ok("repos", "tag", "create", repo, "v1.0", "--message", "First release")
    tags = hf.json("repos", "tag", "list", repo)
    assert [t["name"] for t in tags] == ["v1.0"]
    assert hf.json("models", "info", repo, "--revision", "v1.0")["sha"] == head
    config = Path(hf.json("download", repo, "config.json", "--revision", "v1.0")["path"])
    assert config.read_text(encoding="utf-8") == '{"a": 1}'
    assert hf.run("repos", "tag", "create", repo, "v1.0").returncode != 0  # it exists
    hf.ok("repos", "tag", "delete", repo, "v1.0", "--yes")
    assert hf.json("repos", "tag", "list", repo) == []
    assert hf.run("models", "info", repo, "--revision", "v1.0").returncode != 0


def test_repos_branch_create_and_delete(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-branches")
    head = hf.json("models", "info", repo)["sha"]
    hf.ok("repos", "branch", "create", repo, "dev")
    assert hf.json("models", "info", repo, "--revision", "dev")["sha"] == head
    assert hf.run("repos", "branch", "create", repo, "dev").returncode != 0  # it exists
    hf.ok("repos", "branch", "create", repo, "dev", "--exist-ok")
    hf.ok("repos", "branch", "delete", repo, "dev")
    assert hf.run("models", "info", repo, "--revision", "dev").returncode != 0


def test_repos_branch_create_at_a_revision(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-branch-at")
    first = hf.json("models", "info", repo)["sha"]
    hub.seed(repo, {"config.json": '{"a": 2}'})
    hf.ok("repos", "branch", "create", repo, "old", "--revision", first)
    assert hf.json("models", "info", repo, "--revision", "old")["sha"] == first


def test_repos_settings_private_and_gated(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-settings")
    hf.ok("repos", "settings", repo, "--private")
    assert hf.json("models", "info", repo)["private"] is True
    assert hf.run("models", "info", repo, token=False).returncode != 0
    hf.ok("repos", "settings", repo, "--public")
    assert hf.json("models", "info", repo)["private"] is False
    hf.ok("repos", "settings", repo, "--gated", "auto")
    assert hf.json("models", "info", repo)["gated"] == "auto"
    hf.ok("repos", "settings", repo, "--gated", "false")
    assert hf.json("models", "info", repo)["gated"] is False


def test_repos_move(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-move-from")
    hf.ok("repos", "move", repo, f"{USER}/cli-move-to")
    config = Path(hf.json("download", f"{USER}/cli-move-to", "config.json")["path"])
    assert config.read_text(encoding="utf-8") == '{"a": 1}'
    assert hf.run("models", "info", repo).returncode != 0


def test_repos_delete(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-delete")
    hf.ok("repos", "delete", repo, "--yes")
    assert hf.run("models", "info", repo).returncode != 0
    assert hf.run("repos", "delete", repo, "--yes").returncode != 0
    hf.ok("repos", "delete", repo, "--yes", "--missing-ok")


def test_repos_delete_files(hf: HfCli, hub: LocalHub) -> None:
    repo = _seed(hub, "cli-delete-files", {"keep.json": "{}", "a.txt": "a", "sub/b.txt": "b"})
    hf.ok("repos", "delete-files", repo, "*.txt", "--commit-message", "Drop the text")
    listed = {f["path"] for f in hf.json("models", "ls", repo, "-R")}
    assert "keep.json" in listed
    assert not {"a.txt", "sub/b.txt"} & listed


def test_repos_create_without_a_token_is_refused(hf: HfCli) -> None:
    done = hf.run("repos", "create", f"{USER}/cli-anonymous", token=False)
    assert done.returncode != 0
    assert hf.run("models", "info", f"{USER}/cli-anonymous").returncode != 0
