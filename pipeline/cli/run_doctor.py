"""doctor: is this checkout ready to release? One line per check, each failure saying what to fix:
the workflows and the environment they read the token from, the manifest, the target, the token
(found, valid) and its write access to every repo of the manifest. Never prints the token."""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from pipeline.cli._plumbing import open_target
from pipeline.cli.options import DoctorOptions
from pipeline.errors import AuthError, PipelineError
from pipeline.exitcodes import EXIT_ERROR, EXIT_OK
from pipeline.hub.client import Hub
from pipeline.manifest.model import load_manifest
from pipeline.safetext import printable
from pipeline.workflowcheck import Finding, check_workflows


def _message(error: PipelineError) -> str:
    hint = getattr(error, "hint", None)
    return f"{error}; {hint}" if hint else str(error)


def _token_source(hub: Hub) -> str:
    if hub.target.local:
        return "the local Hub's token file"
    if os.environ.get("HF_TOKEN"):
        return "HF_TOKEN"
    return "huggingface_hub's token store (hf auth login)"


def _write_access(hub: Hub, repos: Sequence[str]) -> list[Finding]:
    try:
        access = hub.token_access()
    except AuthError as error:
        return [Finding(False, f"token: {_message(error)}")]
    findings = [Finding(True, f"token: valid, of user {access.user} (role {access.role})")]
    namespaces = sorted({repo.split("/", 1)[0] for repo in repos})
    for namespace in namespaces:
        own = [repo for repo in repos if repo.split("/", 1)[0] == namespace]
        # The embedded local Hub lets a write token write to any namespace, even one that has
        # no repo yet (and so is no organisation its whoami lists).
        anywhere = hub.target.local and access.role == "write"
        denied = [repo for repo in own if not (anywhere or access.can_write(repo))]
        if not denied:
            findings.append(Finding(True, f"write access: all {len(own)} repos of {namespace}"))
        elif access.role == "read":
            findings.append(
                Finding(
                    False,
                    f"write access: the token is read-only, so it cannot write to {namespace}; "
                    f"create a fine-grained token with write access to {namespace}'s repos",
                )
            )
        else:
            findings.append(
                Finding(
                    False,
                    f"write access: the token cannot write to {', '.join(denied)}; give it "
                    f"write access to {namespace}'s repos (a fine-grained token: Repositories "
                    "permissions > write)",
                )
            )
    return findings


def _hub_findings(options: DoctorOptions, repos: Sequence[str]) -> list[Finding]:
    try:
        with open_target(options.hub, None, read_only=True) as hub:
            where = hub.target.display
            try:
                for namespace in sorted({repo.split("/", 1)[0] for repo in repos}):
                    hub.list_heads(namespace)
            except AuthError:
                pass  # the token is refused: the token's own line says so
            except PipelineError as error:
                return [Finding(False, f"target: {_message(error)}")]
            found = [Finding(True, f"target: {where} answers")]
            if not hub.target.token:
                return [
                    *found,
                    Finding(
                        False,
                        f"token: none found for {where}; set HF_TOKEN (a GitHub secret in CI), "
                        "or run `hf auth login`",
                    ),
                ]
            found.append(Finding(True, f"token: found in {_token_source(hub)}"))
            return found + _write_access(hub, repos)
    except PipelineError as error:
        return [Finding(False, f"target: {_message(error)}")]


def doctor_command(options: DoctorOptions, console: Console) -> int:
    findings = check_workflows(options.workflows)
    try:
        manifest = load_manifest(options.sources.manifest)
    except PipelineError as error:
        findings.append(Finding(False, f"manifest: {_message(error).splitlines()[0]}"))
    else:
        repos = [variant.repo_id for variant in manifest.variants]
        findings.append(Finding(True, f"manifest: {options.sources.manifest}, {len(repos)} repos"))
        findings += _hub_findings(options, repos)
    for finding in findings:
        mark = "ok  " if finding.ok else "FAIL"
        console.print(f"{mark} {escape(printable(finding.line))}", soft_wrap=True)
    failed = sum(not finding.ok for finding in findings)
    console.print("Ready to release." if not failed else f"Not ready: {failed} to fix.")
    return EXIT_OK if not failed else EXIT_ERROR
