"""Commands that read articles and emit records: ``classify``, ``label``, ``split``,
``summarize``."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any

import typer

from classifier.cli.common import (
    EXIT_FAILED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    MaxBytes,
    ModelOpt,
    NoSplit,
    Paths,
    emit,
    fail,
    warn,
)
from classifier.errors import ClassifierError, UsageError

__all__ = ["ClassifyFormat", "classify", "label", "split", "summarize"]


class ClassifyFormat(str, Enum):
    """Output formats of ``classify``."""

    table = "table"
    json = "json"
    jsonl = "jsonl"


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
    from classifier.labelling.analysis import classify as classify_inputs
    from classifier.labelling.options import Options

    if not paths and text is None:
        warn("error: give one or more paths, - for stdin, or --text TEXT")
        raise typer.Exit(EXIT_USAGE)
    try:
        result = classify_inputs(paths or [], text=text, model=model, split=not no_split,
                                 options=Options(top_terms=top_terms), max_bytes=max_bytes)
    except ClassifierError as exc:
        fail(exc)
    records = [r.to_dict() for r in result.records]
    for failure in result.failures:
        warn(f"error: {failure.error}")
    fmt = output or (ClassifyFormat.table if sys.stdout.isatty() else ClassifyFormat.json)
    if fmt is ClassifyFormat.table:
        from rich.console import Console

        from classifier.cli.render import render_records

        names = {n["id"]: n for n in result.model.label_names()}
        render_records(records, names, console=Console(), top=max(top_terms, 3))
    elif fmt is ClassifyFormat.json:
        errors = [f.to_dict() for f in result.failures]
        sys.stdout.write(json.dumps({"articles": records, "errors": errors},
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        for record in [*records, *(f.to_dict() for f in result.failures)]:
            emit(record)
    if result.failures:
        raise typer.Exit(EXIT_PARTIAL if records else EXIT_FAILED)


def label(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders (searched recursively with --glob), .jsonl files of "
                       "{id, title?, text} records, or - for stdin.", show_default=False),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Write records to FILE (default: stdout)."),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="jsonl, or csv (labels and keywords joined "
                          "with ';', scores and evidence as JSON strings).")
    ] = "jsonl",
    glob: Annotated[
        str, typer.Option("--glob", help="File-name pattern for files found in folders.")
    ] = "*.txt",
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes (default: all cores).",
                     show_default=False),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip inputs already complete in --out; append "
                           "the rest (after an interrupted run).")
    ] = False,
    no_split: NoSplit = False,
    model: ModelOpt = "default",
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: when "
                     "stderr is a terminal).", show_default=False),
    ] = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Label many files or records: one record per article (JSONL or CSV) to --out or stdout.

    Unreadable inputs become {"source", "error"} records and the run goes on. Ctrl-C stops
    cleanly; rerun with --resume to finish. Exit codes: 0 all labelled, 3 some inputs failed,
    2 usage error, 1 nothing labelled (e.g. the model cannot be loaded), 130/143 interrupted.
    """
    from classifier.labelling.runner import label as label_inputs

    try:
        result = label_inputs(inputs or [], out=out, fmt=output, workers=workers,
                              resume=resume, glob=glob, split=not no_split, model=model,
                              max_bytes=max_bytes, progress=progress)
    except UsageError as exc:
        fail(exc, EXIT_USAGE)
    except ClassifierError as exc:
        fail(exc)
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once, still without a traceback
        warn("interrupted: stopped at once; rerun with --resume --out FILE to finish")
        raise typer.Exit(130) from None
    skipped = f", {result.skipped_tasks} tasks already done" if result.skipped_tasks else ""
    warn(f"labelled {result.files} files, {result.articles} articles, {result.errors} errors "
         f"in {result.seconds:.1f} s{skipped}")
    if result.interrupted:
        hint = f"rerun with --resume --out {out}" if out else "use --out FILE to be able to resume"
        warn(f"interrupted by {result.interrupted}: every record written is complete; {hint}")
        raise typer.Exit(143 if result.interrupted == "SIGTERM" else 130)
    if result.errors:
        raise typer.Exit(EXIT_FAILED if not result.articles else EXIT_PARTIAL)


def split(
    paths: Paths,
    no_split: NoSplit = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Clean pages and print one JSON object per article (dropped lines included)."""
    from classifier.text.reader import Failure, read_articles

    failures = 0
    for item in read_articles(paths, split=not no_split, max_bytes=max_bytes):
        if isinstance(item, Failure):
            failures += 1
            warn(f"error: {item.error}")
        emit(item.to_dict())
    if failures:
        raise typer.Exit(EXIT_PARTIAL)


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
    from classifier.labelling.records import summary_record
    from classifier.summary.extract import METHODS
    from classifier.text.reader import Failure, read_articles

    if method not in METHODS:
        warn(f"error: unknown --method {method!r}; use one of {', '.join(METHODS)}")
        raise typer.Exit(EXIT_USAGE)
    fmt = output_format or ("text" if sys.stdout.isatty() else "jsonl")
    if fmt not in ("jsonl", "text"):
        warn(f"error: unknown --format {fmt!r}; use jsonl or text")
        raise typer.Exit(EXIT_USAGE)
    scorer = _keyword_scorer()
    failures = 0
    try:
        for item in read_articles(paths, split=not no_split, max_bytes=max_bytes):
            if isinstance(item, Failure):
                failures += 1
                warn(f"error: {item.error}")
                emit(item.to_dict())
                continue
            rec = summary_record(item, sentences=sentences, max_chars=max_chars,
                                 method=method, scorer=scorer)
            if fmt == "jsonl":
                emit(rec.to_dict())
            else:
                typer.echo(f"[{rec.id}] {rec.title}\n  {rec.summary}\n"
                           f"  keywords: {'、'.join(rec.keywords)}\n")
    except ClassifierError as exc:
        fail(exc)
    if failures:
        raise typer.Exit(EXIT_PARTIAL)


def _keyword_scorer() -> Any:
    """Keyword weights by the default model's IDF, or None (term frequency) without a model."""
    from classifier.model.store import load_model

    try:
        return load_model("default").keyword_scorer()
    except ClassifierError as exc:
        warn(f"note: keywords use term frequency only (no default model: {exc})")
        return None
