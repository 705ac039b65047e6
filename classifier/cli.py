"""Command-line interface: thin typer commands over library functions.

Commands only parse options, call one library function and format its result.
Results go to stdout (JSON with ``ensure_ascii=False``); logs and progress go to stderr.
Only this module exits; the library raises ``classifier.errors`` exceptions.

Exit codes: 0 success, 1 nothing could be done, 2 usage error, 3 some inputs failed.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer

from classifier.errors import ClassifierError

app = typer.Typer(
    name="classifier",
    help="Tag Chinese trade-union news with themes and write lead summaries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def emit(record: dict[str, Any]) -> None:
    """Write one JSON line to stdout."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def warn(message: str) -> None:
    """Write a message to stderr."""
    typer.echo(message, err=True)


def fail(exc: ClassifierError, code: int = EXIT_FAILED) -> NoReturn:
    """Report a library error on stderr and exit without a traceback."""
    warn(f"error: {exc}")
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from classifier import __version__

        typer.echo(f"classifier {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Tag Chinese trade-union news with themes and write lead summaries."""


ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="Model name under models/ or a model directory.")
]


class ClassifyFormat(str, Enum):
    """Output formats of ``classify``."""

    table = "table"
    json = "json"
    jsonl = "jsonl"


@app.command()
def classify(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Text files, .jsonl files of {id, title?, text} records, or -."),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", "-t", help="Classify this text instead of (or as well as) files."),
    ] = None,
    model: ModelOpt = "default",
    output: Annotated[
        ClassifyFormat | None,
        typer.Option("--format", "-f", help="table on a terminal, json otherwise."),
    ] = None,
    no_split: NoSplit = False,
    top_terms: Annotated[
        int, typer.Option("--top-terms", min=0, help="Explain each theme with N top terms.")
    ] = 5,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Tag articles with themes (scores, evidence terms), a lead summary and keywords."""
    from classifier.analyze import Options
    from classifier.analyze import classify as classify_inputs

    if not paths and text is None:
        warn("error: give one or more paths, - for stdin, or --text TEXT")
        raise typer.Exit(EXIT_USAGE)
    try:
        result = classify_inputs(paths or [], text=text, model=model, split=not no_split,
                                 options=Options(top_terms=top_terms), max_bytes=max_bytes)
    except ClassifierError as exc:
        fail(exc)
    for failure in result.failures:
        warn(f"error: {failure.error}")
    fmt = output or (ClassifyFormat.table if sys.stdout.isatty() else ClassifyFormat.json)
    if fmt is ClassifyFormat.table:
        from rich.console import Console

        from classifier.render import render_records

        names = {n["id"]: n for n in result.model.label_names()}
        render_records(result.records, names, console=Console(), top=max(top_terms, 3))
    elif fmt is ClassifyFormat.json:
        errors = [f.to_dict() for f in result.failures]
        sys.stdout.write(json.dumps({"articles": result.records, "errors": errors},
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        for record in [*result.records, *(f.to_dict() for f in result.failures)]:
            emit(record)
    if result.failures:
        raise typer.Exit(EXIT_PARTIAL if result.records else EXIT_FAILED)


@app.command()
def models(
    directory: Annotated[
        str | None,
        typer.Option("--dir", help="Directory holding model directories (default: models/)."),
    ] = None,
) -> None:
    """List the models under models/ with their labels, training size and metrics (JSON)."""
    from classifier.catalog import list_models

    try:
        found = list_models(directory)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps({"models": found}, ensure_ascii=False, indent=1) + "\n")


@app.command()
def split(
    paths: Paths,
    no_split: NoSplit = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Clean pages and print one JSON object per article (dropped lines included)."""
    from classifier.pipeline import Failure, read_articles

    failures = 0
    for item in read_articles(paths, split=not no_split, max_bytes=max_bytes):
        if isinstance(item, Failure):
            failures += 1
            warn(f"error: {item.error}")
        emit(item.to_dict())
    if failures:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def summarize(
    paths: Paths,
    no_split: NoSplit = False,
    sentences: Annotated[
        int, typer.Option("--sentences", min=1, help="At most this many sentences.")
    ] = 3,
    max_chars: Annotated[
        int, typer.Option("--max-chars", min=2, help="At most this many characters.")
    ] = 150,
    method: Annotated[
        str, typer.Option("--method", help="lead (default) or textrank.")
    ] = "lead",
    output_format: Annotated[
        str | None,
        typer.Option("--format", help="jsonl or text (default: text on a terminal, else jsonl)."),
    ] = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Print a summary and keywords per article (JSON lines unless writing to a terminal)."""
    from classifier.pipeline import Failure, read_articles
    from classifier.summarize import METHODS, summary_record

    if method not in METHODS:
        warn(f"error: unknown --method {method!r}; use one of {', '.join(METHODS)}")
        raise typer.Exit(EXIT_USAGE)
    fmt = output_format or ("text" if sys.stdout.isatty() else "jsonl")
    if fmt not in ("jsonl", "text"):
        warn(f"error: unknown --format {fmt!r}; use jsonl or text")
        raise typer.Exit(EXIT_USAGE)
    idf = _keyword_idf()
    failures = 0
    try:
        for item in read_articles(paths, split=not no_split, max_bytes=max_bytes):
            if isinstance(item, Failure):
                failures += 1
                warn(f"error: {item.error}")
                emit(item.to_dict())
                continue
            rec = summary_record(item, sentences=sentences, max_chars=max_chars,
                                 method=method, idf=idf)
            if fmt == "jsonl":
                emit(rec)
            else:
                typer.echo(f"[{rec['id']}] {rec['title']}\n  {rec['summary']}\n"
                           f"  keywords: {'、'.join(rec['keywords'])}\n")
    except ClassifierError as exc:
        fail(exc)
    if failures:
        raise typer.Exit(EXIT_PARTIAL)


def _keyword_idf() -> Any:
    """The default model's word IDF for keywords, or None (term frequency) without a model."""
    from classifier.persist import load_model

    try:
        return load_model("default").word_idf
    except ClassifierError as exc:
        warn(f"note: keywords use term frequency only (no default model: {exc})")
        return None


def main() -> None:
    """Console-script entry point."""
    app()
