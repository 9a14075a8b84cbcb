"""The one exception hierarchy of nb-release.

Library code raises these; only `pipeline.cli.main` turns them into `error: ...` lines and exit
codes.
Messages are built where the context is (file, place, expectation) and never contain a token.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.english import plural


@dataclass(frozen=True)
class Problem:
    """One located problem in a user's input: file, line/column, key path, message, hint."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key_path: str | None = None
    hint: str | None = None

    def format(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        head = (
            f"{place}: {self.key_path}: {self.message}"
            if self.key_path
            else f"{place}: {self.message}"
        )
        if self.hint:
            head += f"\n    hint: {self.hint}"
        return head


class PipelineError(Exception):
    """Base of every error a user can cause or meet; carries an optional hint."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ProblemsError(PipelineError):
    """Many located problems reported together (a bad manifest, bad templates, bad cards)."""

    # A message lists this many problems at most: a generated file with thousands of mistakes
    # must not print megabytes; the first ones are the ones to fix first anyway.
    SHOWN = 100

    def __init__(self, title: str, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(problems)
        lines = [f"  {p.format()}" for p in problems[: self.SHOWN]]
        if count > self.SHOWN:
            lines.append(f"  ... and {count - self.SHOWN} more")
        super().__init__(f"{title} ({plural(count, 'problem')}):\n" + "\n".join(lines))


class ManifestError(ProblemsError):
    """models.toml cannot be read or does not validate."""


class TemplateError(ProblemsError):
    """A card template is missing, has a syntax error or uses an undefined variable."""


class CardError(ProblemsError):
    """A rendered card's front matter or metadata is not what the Hub expects."""


class ComplianceError(ProblemsError):
    """A repo fails a mandatory licence compliance rule: nothing is written."""


class HubError(PipelineError):
    """The Hub (local or remote) refused or failed a request."""


class AuthError(HubError):
    """No token, or the Hub refused the token."""


class PlanError(PipelineError):
    """A saved plan cannot be read, or no longer matches the manifest and templates."""


class OutputError(PipelineError):
    """An output file, folder or stream (a plan, a report, a card, stdout) cannot be written."""
