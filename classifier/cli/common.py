"""What every command shares: exit codes, option types, and writing results and errors.

Results go to stdout (JSON with ``ensure_ascii=False``); messages go to stderr. Only the CLI
exits: ``fail`` turns a library error into an exit code without a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, NoReturn

import typer

from classifier.errors import ClassifierError, UsageError

__all__ = ["EXIT_FAILED", "EXIT_PARTIAL", "EXIT_USAGE", "MaxBytes", "ModelOpt", "NoSplit",
           "Paths", "emit", "fail", "warn"]

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
MaxBytes = Annotated[
    int, typer.Option("--max-bytes", help="Refuse input files larger than this many bytes.")
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
