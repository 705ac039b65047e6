"""What every command shares: exit codes, option types, and writing results and errors.

Results go to stdout (JSON with ``ensure_ascii=False``); messages go to stderr. Only the CLI
exits: ``fail`` turns a library error into an exit code without a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer

from classifier.errors import ClassifierError, UsageError
from classifier.text.article import Article, Failure

__all__ = ["EXIT_FAILED", "EXIT_PARTIAL", "EXIT_USAGE", "MaxBytes", "ModelOpt", "NoSplit",
           "Paths", "StdinFormat", "Tally", "emit", "exit_for_failures", "fail", "show_notes",
           "warn"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

Paths = Annotated[
    list[str],
    typer.Argument(help="Text files, .jsonl files of {id, title?, text} records, or - for stdin."),
]
NoSplit = Annotated[
    bool, typer.Option("--no-split", help="Treat each file as a single article.")
]
StdinFormat = Annotated[
    str, typer.Option("--stdin-format", help="How to read - (standard input): auto (JSONL when "
                      "its first line is a JSON object with \"text\", else one page), text, "
                      "or jsonl.")
]
MaxBytes = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Refuse input files (and JSONL lines) larger "
                      "than this many bytes.")
]


ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="Model name under models/ or a model directory.")
]



def emit(record: dict[str, Any]) -> None:
    """Write one JSON line to stdout."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def warn(message: str) -> None:
    """Write a message to stderr."""
    typer.echo(message, err=True)


def fail(exc: ClassifierError, code: int = EXIT_FAILED) -> NoReturn:
    """Report a library error on stderr and exit without a traceback (usage errors: 2)."""
    warn(f"error: {exc}")
    raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else code)


@dataclass
class Tally:
    """Counts of a command's articles and failed inputs; failures are reported as they come."""

    articles: int = 0
    failures: int = 0

    def articles_of(self, items: Iterable[Article | Failure]) -> Iterator[Article]:
        """The articles of ``items``; each failure goes to stderr and, as its error record,
        to stdout in its place."""
        for item in items:
            if isinstance(item, Failure):
                self.failures += 1
                warn(f"error: {item.error}")
                emit(item.to_dict())
            else:
                self.articles += 1
                yield item

    def exit(self) -> None:
        """Exit as the README's table says for what was counted."""
        exit_for_failures(self.failures, self.articles)


def exit_for_failures(failures: int, successes: int) -> None:
    """Exit 1 when nothing could be done, 3 when some inputs failed (the README's table)."""
    if failures:
        raise typer.Exit(EXIT_PARTIAL if successes else EXIT_FAILED)


class _Notes(logging.Handler):
    """Library notes as ``note: ...`` on the current stderr (looked up at each message, so
    that a test runner's captured stderr gets them too)."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(f"note: {record.getMessage()}", err=True)


def show_notes() -> None:
    """Show the library's INFO notes (e.g. how standard input was read) on stderr."""
    logger = logging.getLogger("classifier")
    if not any(isinstance(h, _Notes) for h in logger.handlers):
        logger.addHandler(_Notes(logging.INFO))
    logger.setLevel(logging.INFO)
