"""Every command of `nb-release`, registered once: its name and help, its arguments, the options
record it builds from them, and its handler.

A command is one entry of COMMANDS, in the way copier declares one class per subcommand and
twine one module per command: build_parser makes the whole parser from the table, and cli.main
runs the entry the command line chose. A handler is named "module:function" and imported only
when its command runs, so `validate` and `render` never load the Hub client, nor a warm plan
the renderer, pydantic's models or the publishing code.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pipeline.cli._args import (
    Parser,
    add_checks,
    add_client,
    add_create_pr,
    add_hub,
    add_manifest,
    add_policies,
    add_reports,
    add_selection,
    add_source,
    namespace,
    repo_id,
)

if TYPE_CHECKING:  # rich is loaded by the command that prints, not by `--help`
    from rich.console import Console

    from pipeline.cli.options import (
        ApplyOptions,
        CacheClearOptions,
        DoctorOptions,
        HistoryOptions,
        ImportOptions,
        KeepOptions,
        PlanOptions,
        PreviewOptions,
        ReleaseOptions,
        RenderOptions,
        RestoreOptions,
        RulesUpdateOptions,
        ServeOptions,
        SyncOptions,
        ValidateOptions,
        VerifyOptions,
    )

OptionsT = TypeVar("OptionsT")
Handler = Callable[[OptionsT, "Console"], int]

_CHOSEN = "nb_release_command"  # where the parsed command line keeps the Command it chose


@dataclass(frozen=True)
class Command(Generic[OptionsT]):
    """One command: what `--help` says of it, its arguments, the options record it builds from
    them, and the handler ("module:function") that runs with that record and a console."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    options: Callable[[argparse.Namespace], OptionsT]
    handler: str
    # "module:function" given the options record before any console exists: the exit status
    # once it printed a remembered answer (validate's verdict), else None and the handler runs.
    remembered: str | None = None

    def attach(self, parser: argparse.ArgumentParser, words: Sequence[str] | None) -> None:
        self.arguments(parser)
        parser.set_defaults(**{_CHOSEN: self})

    def handler_function(self) -> Handler[OptionsT]:
        """The handler, imported now (and only now: it may load the Hub client)."""
        module, _, function = self.handler.partition(":")
        return cast(Handler[OptionsT], getattr(importlib.import_module(module), function))

    def answered(self, args: argparse.Namespace) -> int | None:
        """The exit status of a remembered answer, printed; None: run the handler."""
        if self.remembered is None:
            return None
        module, _, function = self.remembered.partition(":")
        answer = cast(
            Callable[[OptionsT], "int | None"], getattr(importlib.import_module(module), function)
        )
        return answer(self.options(args))

    def run(self, args: argparse.Namespace, console: Console) -> int:
        """Build the options record from `args`, then run the handler; its exit status."""
        options = self.options(args)
        return self.handler_function()(options, console)


@dataclass(frozen=True)
class Group:
    """A command word that only groups commands (`cache clear`, `hub serve`)."""

    name: str
    help: str
    description: str
    commands: tuple[Command[Any], ...]

    def attach(self, parser: argparse.ArgumentParser, words: Sequence[str] | None) -> None:
        _add_commands(parser, self.commands, f"{self.name}_command", words)


def _add_commands(
    parser: argparse.ArgumentParser,
    entries: tuple[Command[Any] | Group, ...],
    dest: str,
    words: Sequence[str] | None,
) -> None:
    """Each entry's word, help and description, and its arguments: every entry's when `words`
    is None, else only those of the entry `words` (the rest of the command line) names. The
    parser above takes no option with a value, so its first word that is not an option is the
    entry's; argparse hands the words after it to that entry's parser alone, and `--help` or a
    usage error of the parser above reads no entry's arguments."""
    subparsers = parser.add_subparsers(dest=dest, metavar="COMMAND", required=True)
    named = None if words is None else next((w for w in words if not w.startswith("-")), "")
    for entry in entries:
        sub = subparsers.add_parser(entry.name, help=entry.help, description=entry.description)
        if words is None:
            entry.attach(sub, None)
        elif entry.name == named:
            entry.attach(sub, words[list(words).index(named) + 1 :])


class _ShowVersion(argparse.Action):
    """`--version`: the installed version, read from the package's metadata only when asked
    (reading it costs every other command's start-up)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from pipeline import __version__

        print(f"nb-release {__version__}")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command in COMMANDS; a usage error exits 64 (cli_args.Parser).
    Given the command line it will parse, it builds only the arguments of the command that line
    names (a run then pays for one command's arguments and their imports, not all of them)."""
    parser = Parser(
        prog="nb-release",
        description="Keep every NB-Llama model card on the Hugging Face Hub true to one "
        "manifest: validate, render, plan, apply.",
    )
    parser.add_argument("--version", action=_ShowVersion, help="show the version and exit")
    _add_commands(parser, COMMANDS, "command", argv)
    return parser


def chosen(args: argparse.Namespace) -> Command[Any]:
    """The command a command line parsed by build_parser() chose."""
    return cast(Command[Any], getattr(args, _CHOSEN))


# --- each command's own arguments and options ------------------------------------------------


def _local_arguments(parser: argparse.ArgumentParser) -> None:
    add_source(parser)
    add_selection(parser)


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    _local_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build/cards"),
        metavar="DIR",
        help="where to write the cards (default: build/cards)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files under --out that differ from a fresh render",
    )


def _render_options(args: argparse.Namespace) -> RenderOptions:
    from pipeline.cli.options import RenderOptions, selection_of, sources_of

    return RenderOptions(sources_of(args), selection_of(args), args.out, args.check)


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    _local_arguments(parser)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="validate fully, even when these exact files passed before, and remember nothing "
        "($NB_RELEASE_CACHE, else $XDG_CACHE_HOME/nb-release or ~/.cache/nb-release)",
    )


def _validate_options(args: argparse.Namespace) -> ValidateOptions:
    # Not cli/options.py's sources_of and selection_of: that module loads every command's
    # record, and a remembered verdict is answered before any of them is needed.
    from pipeline.cli.verdict import ValidateOptions
    from pipeline.manifest.selection import Selection
    from pipeline.manifest.sources import Sources

    return ValidateOptions(
        Sources(args.manifest, args.cards),
        Selection(tuple(args.only), tuple(args.exclude)),
        cache=not args.no_cache,
    )


def _reading_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the manifest and templates are, which variants, and the Hub to read."""
    add_source(parser)
    add_selection(parser)
    add_hub(parser)
    add_client(parser, publishes=False)


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    _reading_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PLAN.json",
        help="also save the plan (written atomically) for `nb-release apply`",
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json", "html"),
        default="text",
        help="the report's format on standard output (default: text); html: the review page "
        "of `nb-release preview`, written to --out FILE instead of a plan when --out is given",
    )
    add_reports(parser, summary_default=False)
    add_checks(parser, publishes=False)


def _plan_options(args: argparse.Namespace) -> PlanOptions:
    from pipeline.cli.options import (
        PlanOptions,
        checks_of,
        hub_of,
        reports_of,
        selection_of,
        sources_of,
    )

    return PlanOptions(
        sources_of(args),
        selection_of(args),
        hub_of(args),
        reports_of(args),
        args.out,
        args.format,
        checks_of(args),
    )


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    _reading_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build/preview"),
        metavar="DIR",
        help="where to write index.html (default: build/preview)",
    )


def _preview_options(args: argparse.Namespace) -> PreviewOptions:
    from pipeline.cli.options import PreviewOptions, hub_of, selection_of, sources_of

    return PreviewOptions(sources_of(args), selection_of(args), hub_of(args), args.out)


def _apply_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan_file", type=Path, metavar="PLAN.json", help="the saved plan")
    add_source(parser)
    add_hub(parser)
    add_client(parser, publishes=True)
    add_create_pr(parser)
    add_policies(parser, adopt_default="overwrite")
    add_checks(parser, publishes=True)


def _apply_options(args: argparse.Namespace) -> ApplyOptions:
    from pipeline.cli.options import (
        ApplyOptions,
        checks_of,
        hub_of,
        policies_of,
        publish_of,
        sources_of,
    )

    return ApplyOptions(
        args.plan_file,
        sources_of(args),
        hub_of(args),
        policies_of(args),
        publish_of(args),
        checks_of(args),
    )


def _release_arguments(parser: argparse.ArgumentParser) -> None:
    add_policies(parser, adopt_default="overwrite with --yes")
    add_reports(parser, summary_default=False)
    add_source(parser)
    add_selection(parser)
    add_hub(parser)
    add_client(parser, publishes=True)
    parser.add_argument("--yes", "-y", action="store_true", help="publish without asking (for CI)")
    add_create_pr(parser)
    add_checks(parser, publishes=True)


def _release_options(args: argparse.Namespace) -> ReleaseOptions:
    from pipeline.cli.options import (
        ReleaseOptions,
        checks_of,
        hub_of,
        policies_of,
        publish_of,
        reports_of,
        selection_of,
        sources_of,
    )

    return ReleaseOptions(
        sources_of(args),
        selection_of(args),
        hub_of(args),
        policies_of(args),
        reports_of(args),
        publish_of(args),
        args.yes,
        checks_of(args),
    )


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    add_source(parser)
    add_selection(parser)
    add_hub(parser)
    add_client(parser, publishes=True)
    add_policies(parser, adopt_default="skip")
    add_reports(parser, summary_default=True)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and report only; publish nothing (exit status as a real run would end)",
    )
    add_checks(parser, publishes=True)


def _sync_options(args: argparse.Namespace) -> SyncOptions:
    from pipeline.cli.options import (
        PublishOptions,
        SyncOptions,
        checks_of,
        hub_of,
        policies_of,
        reports_of,
        selection_of,
        sources_of,
    )

    return SyncOptions(
        sources_of(args),
        selection_of(args),
        hub_of(args),
        policies_of(args),
        reports_of(args),
        PublishOptions(create_pr=False, jobs=args.jobs),  # sync never opens pull requests
        args.dry_run,
        checks_of(args),
    )


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    _reading_arguments(parser)
    add_reports(parser, summary_default=False)


def _verify_options(args: argparse.Namespace) -> VerifyOptions:
    from pipeline.cli.options import VerifyOptions, hub_of, reports_of, selection_of, sources_of

    return VerifyOptions(sources_of(args), selection_of(args), hub_of(args), reports_of(args))


def _repo_file(value: str) -> str:
    """A path in a repo (`--file`): relative, inside the repo."""
    if not value or value.startswith("/") or ".." in value.split("/") or "\\" in value:
        raise argparse.ArgumentTypeError(f"{value!r} is not a path in the repo, such as NOTICE")
    return value


def _add_file(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--file",
        type=_repo_file,
        default="README.md",
        metavar="PATH",
        help=f"the file to {verb}: README.md (the default) or a file the manifest's `files` "
        "declares, such as NOTICE",
    )


def _history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "repos",
        nargs="*",
        type=repo_id,
        metavar="REPO",
        help="repo ids (default: every repo of the manifest)",
    )
    _reading_arguments(parser)
    parser.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="look at the newest N commits of each repo (default: 20)",
    )
    _add_file(parser, "show the history of")


def _history_options(args: argparse.Namespace) -> HistoryOptions:
    from pipeline.cli.options import HistoryOptions, hub_of, selection_of, sources_of

    return HistoryOptions(
        tuple(args.repos), sources_of(args), selection_of(args), hub_of(args), args.limit, args.file
    )


def _restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", type=repo_id, metavar="REPO", help="the repo id")
    parser.add_argument(
        "--to", required=True, metavar="COMMIT", help="the commit id (or a unique prefix of it)"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="publish without asking")
    _add_file(parser, "restore")
    add_hub(parser)
    add_client(parser, publishes=False)
    add_manifest(parser)


def _restore_options(args: argparse.Namespace) -> RestoreOptions:
    from pipeline.cli.options import PublishOptions, RestoreOptions, hub_of

    return RestoreOptions(
        args.repo,
        args.manifest,
        args.to,
        args.yes,
        hub_of(args),
        PublishOptions(False, 1),
        args.file,
    )


def _keep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repos", nargs="+", type=repo_id, metavar="REPO", help="repo ids")
    parser.add_argument(
        "--drop",
        action="store_true",
        help="remove the repos' kept edits (cards/edits/) instead; reads no Hub",
    )
    add_source(parser)
    add_hub(parser)
    add_client(parser, publishes=False)


def _keep_options(args: argparse.Namespace) -> KeepOptions:
    from pipeline.cli.options import KeepOptions, hub_of, sources_of

    return KeepOptions(tuple(args.repos), args.drop, sources_of(args), hub_of(args))


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("namespace", type=namespace, metavar="NAMESPACE", help="a Hub namespace")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="import only the repos whose id or name matches GLOB (repeatable)",
    )
    add_manifest(parser)
    add_hub(parser)
    add_client(parser, publishes=False)


def _import_options(args: argparse.Namespace) -> ImportOptions:
    from pipeline.cli.options import ImportOptions, hub_of

    return ImportOptions(args.namespace, tuple(args.only), args.manifest, hub_of(args))


def _rules_update_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline import hubsnapshot

    parser.add_argument(
        "--out",
        type=Path,
        default=hubsnapshot.SNAPSHOT_FILE,
        metavar="FILE",
        help="where to write the snapshot (written atomically; default: the checked-in "
        "pipeline/hubrules_snapshot.json)",
    )
    add_hub(parser)
    add_client(parser, publishes=False)


def _rules_update_options(args: argparse.Namespace) -> RulesUpdateOptions:
    from pipeline.cli.options import RulesUpdateOptions, hub_of

    return RulesUpdateOptions(hub_of(args), args.out)


def _doctor_arguments(parser: argparse.ArgumentParser) -> None:
    add_source(parser)
    add_hub(parser)
    add_client(parser, publishes=False)
    parser.add_argument(
        "--workflows",
        type=Path,
        default=Path(".github/workflows"),
        metavar="DIR",
        help="the folder of the GitHub workflows (default: .github/workflows)",
    )


def _doctor_options(args: argparse.Namespace) -> DoctorOptions:
    from pipeline.cli.options import DoctorOptions, hub_of, sources_of

    return DoctorOptions(sources_of(args), hub_of(args), args.workflows)


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _cache_clear_options(args: argparse.Namespace) -> CacheClearOptions:
    from pipeline.cli.options import CacheClearOptions

    return CacheClearOptions()


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.localhub.cli import add_serve_arguments  # the local Hub owns its options

    add_serve_arguments(parser)


def _serve_options(args: argparse.Namespace) -> ServeOptions:
    from pipeline.cli.options import ServeOptions

    return ServeOptions(args)


# --- the table ------------------------------------------------------------------------------------

COMMANDS: tuple[Command[Any] | Group, ...] = (
    Command(
        "validate",
        help="check the manifest, render every card and check its metadata; writes no card",
        description="Check models.toml, render every card and check its front matter and "
        "metadata. Writes no card; a pass is remembered in the local cache, keyed by the bytes "
        "of the manifest, of cards/ and of the copied files, the selection and nb-release's "
        "code, and a later run on the same bytes prints the same line without validating "
        "again (--no-cache: validate fully). Exit status 0 if all is valid, 1 otherwise.",
        arguments=_validate_arguments,
        options=_validate_options,
        handler="pipeline.cli.run_local:validate",
        remembered="pipeline.cli.verdict:remembered",
    ),
    Command(
        "render",
        help="render every card to DIR/<namespace>/<name>/README.md",
        description="Render every card to DIR/<namespace>/<name>/README.md (LF, UTF-8, one "
        "trailing newline), byte-identical from run to run. With --check, write nothing and "
        "exit 1 listing the files that differ from a fresh render.",
        arguments=_render_arguments,
        options=_render_options,
        handler="pipeline.cli.run_local:render_cards",
    ),
    Command(
        "plan",
        help="the dry-run diff report: what a release would publish",
        description="Render every card, read the live cards from the Hub and report what a "
        "release would publish. Needs no write token. Exit status 0 nothing to publish, "
        "2 changes pending, 1 error.",
        arguments=_plan_arguments,
        options=_plan_options,
        handler="pipeline.cli.run_plan:plan_command",
    ),
    Command(
        "preview",
        help="write the review page: the plan and each changed card as the Hub shows it",
        description="Plan, then write one self-contained HTML page (no script, nothing loaded "
        "from the network) to DIR/index.html: the plan's table, then each changed card as the "
        "Hub shows it, live and rendered side by side, the changed blocks marked. Needs no "
        "write token. Exit status 0 when the page is written, 1 on error.",
        arguments=_preview_arguments,
        options=_preview_options,
        handler="pipeline.cli.run_plan:preview_command",
    ),
    Command(
        "apply",
        help="publish exactly a saved plan",
        description="Publish exactly the plan saved by `nb-release plan --out`. A repo whose "
        "head moved since the plan is not published and is reported stale. Exit status 0 all "
        "done, 1 error before any write, 3 partly done (a re-run converges).",
        arguments=_apply_arguments,
        options=_apply_options,
        handler="pipeline.cli.run_hub:apply_command",
    ),
    Command(
        "release",
        help="plan, show, confirm, apply",
        description="Plan, show the report, ask for confirmation (y/N), then publish only the "
        "changed cards. Without a terminal nothing is published unless --yes is given. Exit "
        "status 0 all done (or nothing to publish), 1 error before any write, 2 changes pending "
        "but not confirmed, 3 partly done (a re-run converges), 4 drift left as the policy "
        "says. At a terminal it asks about each drifted or adopted card; with --yes it adopts "
        "cards nb-release never published and follows --on-drift for drifted ones.",
        arguments=_release_arguments,
        options=_release_options,
        handler="pipeline.cli.run_hub:release_command",
    ),
    Command(
        "sync",
        help="the unattended nightly run: publish what is safe, leave the rest as policy says",
        description="Plan, publish the create, create-repo and pending cards, apply the "
        "policies to drifted and adopted cards (default: skip them) and report. Never adopts "
        "or overwrites unless a policy says so. Exit status 0 in sync, 4 drift or adoption "
        "found and left as the policy says (everything else done), 3 partly done (a re-run "
        "converges), 1 error before any write.",
        arguments=_sync_arguments,
        options=_sync_options,
        handler="pipeline.cli.run_hub:sync_command",
    ),
    Command(
        "verify",
        help="read back what the Hub parsed of every card and compare it with the manifest",
        description="Read back, with one listing per namespace, what the Hub parsed of every "
        "card (license, language, base_model and its relation, pipeline_tag, library_name, "
        "tags, datasets, model-index) and compare it with the rendered front matter, also as "
        "a YAML 1.1 reader reads the card. Writes nothing. Exit status 0 every card is read "
        "as meant, 5 a mismatch (each named by repo and key), 1 error.",
        arguments=_verify_arguments,
        options=_verify_options,
        handler="pipeline.cli.run_verify:verify_command",
    ),
    Command(
        "history",
        help="each card's commits, marked as nb-release's or not",
        description="List, per repo, the commits that changed README.md (id, date, author, "
        "title), newest first, marking nb-release's releases with their manifest fingerprint.",
        arguments=_history_arguments,
        options=_history_options,
        handler="pipeline.cli.run_history:history_command",
    ),
    Command(
        "restore",
        help="publish a card as it was at an earlier commit",
        description="Publish README.md as it was at COMMIT, as a new commit on top of the head "
        "(shown as a diff first). The restored card reads as drift until `nb-release keep "
        "REPO` takes it into the project. Exit status 0 done (or nothing to do), 1 error, "
        "2 not confirmed.",
        arguments=_restore_arguments,
        options=_restore_options,
        handler="pipeline.cli.run_history:restore_command",
    ),
    Command(
        "keep",
        help="take a hand edit of a drifted card into the project (cards/edits/)",
        description="For each drifted REPO, write its hand edit under cards/edits/: the card "
        "nb-release last published (<namespace>__<name>.base.md) and a unified diff from it to "
        "the live card (<namespace>__<name>.patch). Every render then merges the edit into "
        "the card; commit cards/edits/ and the next sync leaves the card as it is. A repo "
        "that is not drifted is left alone. --drop removes the edits. Exit status 0 done (or "
        "nothing to do), 1 error (nothing written).",
        arguments=_keep_arguments,
        options=_keep_options,
        handler="pipeline.cli.run_keep:keep_command",
    ),
    Command(
        "doctor",
        help="check the set-up: workflows, manifest, target, token and its write access",
        description="Check that this checkout is ready to release, one line per check, each "
        "failure saying what to fix: the GitHub workflows and the environment they read "
        "HF_TOKEN from, the manifest, the target Hub answers, a token is found and valid, and "
        "it may write to every repo of the manifest (the Hub's whoami). Never prints the "
        "token. Exit status 0 ready, 1 something to fix.",
        arguments=_doctor_arguments,
        options=_doctor_options,
        handler="pipeline.cli.run_doctor:doctor_command",
    ),
    Command(
        "import",
        help="write [[models]] entries for the repos of a namespace into the manifest",
        description="Read the repos of NAMESPACE from one listing (what the Hub parsed of each "
        "card, and its files) and append a [[models]] entry for each Llama repo the manifest "
        "lacks, with every value that can be derived (kind, Llama version, size, base model, "
        "languages, license, quantization and GGUF file); comments and layout are kept. What "
        "cannot be derived is left out and named per repo. Repos already in the manifest are "
        "left as they are. Exit status 0 done, 1 error (nothing written).",
        arguments=_import_arguments,
        options=_import_options,
        handler="pipeline.cli.run_import:import_command",
    ),
    Group(
        "cache",
        help="the local cache of live cards and renders",
        description="The local cache that makes warm plans cheap: README.md of each repo at "
        "each head commit, and the cards rendered for each manifest fingerprint. It never "
        "changes an answer. Lives in $NB_RELEASE_CACHE, else $XDG_CACHE_HOME/nb-release, "
        "else ~/.cache/nb-release.",
        commands=(
            Command(
                "clear",
                help="remove every entry",
                description="Remove every entry of the cache.",
                arguments=_no_arguments,
                options=_cache_clear_options,
                handler="pipeline.cli.run_cache:cache_clear",
            ),
        ),
    ),
    Group(
        "rules",
        help="the Hub's lists of licenses, tasks and libraries that cards are checked against",
        description="The Hub's lists (license ids, pipeline tags, library ids) that the manifest "
        "and the card checks use, kept in one checked-in snapshot "
        "(pipeline/hubrules_snapshot.json).",
        commands=(
            Command(
                "update",
                help="refresh the snapshot from the Hub's tag lists",
                description="Read the target Hub's tag lists (GET /api/models-tags-by-type), "
                "write them as the snapshot (atomically; --out FILE to write elsewhere) and "
                "say, per list, which ids were added and removed. Needs no token. Exit status "
                "0 written, 1 error (nothing written).",
                arguments=_rules_update_arguments,
                options=_rules_update_options,
                handler="pipeline.cli.run_rules:rules_update",
            ),
        ),
    ),
    Group(
        "hub",
        help="the local Hub: a Hub-compatible server on loopback",
        description="The local Hub: a Hub-compatible HTTP server on loopback.",
        commands=(
            Command(
                "serve",
                help="serve the local Hub until interrupted",
                description="Serve the local Hub until interrupted (Ctrl-C). Prints its URL and "
                "the path of its token file, never a token.",
                arguments=_serve_arguments,
                options=_serve_options,
                handler="pipeline.cli.run_serve:serve",
            ),
        ),
    ),
)
