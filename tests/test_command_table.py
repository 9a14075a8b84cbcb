"""The command table (pipeline/cli/commands.py) is the one place a command is named: the parser is
made from it, and each entry's options builder and handler agree on the options record."""

from __future__ import annotations

import argparse
import inspect
from typing import Any, get_type_hints

import pytest
from rich.console import Console

from pipeline.cli import options
from pipeline.cli.commands import COMMANDS, Command, Group, build_parser, chosen
from pipeline.ownership import POLICIES, policies_help


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands (argparse keeps them in its one _SubParsersAction)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _parsed_names(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    names: set[str] = set()
    for name, sub in _subcommands(parser).items():
        inner = _parsed_names(sub, (*prefix, name))
        names |= inner or {" ".join((*prefix, name))}
    return names


def _registered() -> dict[str, Command[Any]]:
    out: dict[str, Command[Any]] = {}
    for entry in COMMANDS:
        if isinstance(entry, Group):
            out.update({f"{entry.name} {c.name}": c for c in entry.commands})
        else:
            out[entry.name] = entry
    return out


def test_the_parser_has_exactly_the_commands_of_the_table() -> None:
    assert _parsed_names(build_parser()) == set(_registered())
    assert len(_registered()) == 16


@pytest.mark.parametrize("name", sorted(_registered()))
def test_each_handler_resolves_and_takes_the_record_its_command_builds(name: str) -> None:
    command = _registered()[name]
    handler = command.handler_function()
    assert callable(handler)
    first, second = list(inspect.signature(handler).parameters)
    hints = get_type_hints(handler)
    # The table imports each record only when its command runs: named here as options.py has them.
    built = get_type_hints(command.options, vars(options))["return"]
    assert hints[first] is built
    assert hints[second] is Console
    assert hints["return"] is int


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["validate"], "validate"),
        (["render", "--check"], "render"),
        (["cache", "clear"], "cache clear"),
        (["hub", "serve", "--port", "0"], "hub serve"),
        (["restore", "NbAiLab/x", "--to", "abc"], "restore"),
    ],
)
def test_a_command_line_chooses_its_entry_of_the_table(argv: list[str], name: str) -> None:
    assert chosen(build_parser().parse_args(argv)) is _registered()[name]


@pytest.mark.parametrize("name", ["apply", "release", "sync"])
def test_the_policy_flags_take_their_words_from_ownership(name: str) -> None:
    parser = _subcommands(build_parser())[name]
    for flag in ("--on-drift", "--on-adopt"):
        action = next(a for a in parser._actions if flag in a.option_strings)
        assert tuple(action.choices or ()) == POLICIES
        assert policies_help() in (action.help or "")
