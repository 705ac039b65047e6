"""Commands that read articles and emit records: ``classify``, ``label``, ``split``,
``summarize``."""

from __future__ import annotations

import json
import signal
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
    StdinFormat,
    Tally,
    emit,
    exit_for_failures,
    fail,
    show_notes,
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
    stdin_format: StdinFormat = "auto",
) -> None:
    """Tag articles with themes (scores, evidence terms), a lead summary and keywords: a
    table on a terminal, JSON otherwise.

    **Examples**

    ```
    classifier classify seeds/002_01dc0b6c6b646c2c.txt
    classifier classify --text "本报讯 市总工会为快递员送去清凉慰问品。"
    classifier classify pages/*.txt --format jsonl > themes.jsonl
    ```
    """
    from classifier.labelling.analysis import classify as classify_inputs
    from classifier.labelling.options import Options

    if not paths and text is None:
        warn("error: give one or more paths, - for stdin, or --text TEXT")
        raise typer.Exit(EXIT_USAGE)
    show_notes()
    fmt = output or (ClassifyFormat.table if sys.stdout.isatty() else ClassifyFormat.json)
    listed = max(top_terms, 3)  # themes the table lists
    # The table says why a listed theme was not assigned: the terms that raised it too.
    options = Options(top_terms=top_terms,
                      explain_unassigned=listed if fmt is ClassifyFormat.table else 0)
    try:
        result = classify_inputs(paths or [], text=text, model=model, split=not no_split,
                                 options=options, max_bytes=max_bytes,
                                 stdin_format=stdin_format)
    except ClassifierError as exc:
        fail(exc)
    records = [r.to_dict() for r in result.records]
    for failure in result.failures:
        warn(f"error: {failure.error}")
    if fmt is ClassifyFormat.table:
        from rich.console import Console

        from classifier.cli.render import render_records

        names = {n["id"]: n for n in result.model.label_names()}
        thresholds = {lab: float(t) for lab, t in zip(result.model.labels,
                                                      result.model.thresholds, strict=True)}
        render_records(records, names, console=Console(), top=listed, thresholds=thresholds,
                       single_label=result.model.single_label)
    elif fmt is ClassifyFormat.json:
        errors = [f.to_dict() for f in result.failures]
        sys.stdout.write(json.dumps({"articles": records, "errors": errors},
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        for record in [*records, *(f.to_dict() for f in result.failures)]:
            emit(record)
    exit_for_failures(len(result.failures), len(records))


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
    engine: Annotated[
        str, typer.Option("--engine", help="local (this machine's processes) or dask (a Dask "
                          "cluster; needs pip install 'classifier[dask]').")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                     "(default: start a local cluster of --workers processes).",
                     show_default=False),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option("--partitions", min=1, help="Dask tasks in flight (default: 3 per worker "
                     "thread).", show_default=False),
    ] = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="CSV for Excel: start the file with a UTF-8 "
                           "byte-order mark, so that Excel reads the Chinese text right.")
    ] = False,
    stdin_format: StdinFormat = "auto",
) -> None:
    """Label many files or records: one record per article (JSONL or CSV) to --out or stdout.

    Unreadable inputs become `{"source", "error"}` records and the run goes on. Ctrl-C stops
    cleanly; rerun with --resume to finish. Exit codes: 0 all labelled, 3 some inputs failed,
    2 usage error, 1 nothing labelled (e.g. the model cannot be loaded), 130/143 interrupted.

    **Examples**

    ```
    classifier label archive/2024/ --glob '*.txt' --out labels.jsonl --workers 2
    classifier label archive/2024/ --out labels.jsonl --resume
    classifier label records.jsonl --out labels.csv --format csv
    ```
    """
    from classifier.labelling.runner import label as label_inputs

    show_notes()
    try:
        result = label_inputs(inputs or [], out=out, fmt=output, workers=workers,
                              resume=resume, glob=glob, split=not no_split, model=model,
                              max_bytes=max_bytes, progress=progress, engine=engine,
                              scheduler=scheduler, partitions=partitions, excel=excel,
                              on_error=_report_error, stdin_format=stdin_format)
    except UsageError as exc:
        fail(exc, EXIT_USAGE)
    except ClassifierError as exc:
        fail(exc)
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once, still without a traceback
        _exiting()
        warn("interrupted: stopped at once; rerun with --resume --out FILE to finish")
        raise typer.Exit(130) from None
    done = result.skipped_tasks
    skipped = f", {_count(done, 'input part')} already done (--resume)" if done else ""
    warn(f"labelled {_count(result.files, 'input')}: {_count(result.articles, 'article')}, "
         f"{_count(result.errors, 'error')} in {result.seconds:.1f} s{skipped}")
    if result.themes and sys.stderr.isatty():
        warn("themes: " + ", ".join(f"{theme} {n}" for theme, n in result.themes.most_common()))
    if result.interrupted:
        _exiting()
        hint = f"rerun with --resume --out {out}" if out else "use --out FILE to be able to resume"
        warn(f"interrupted by {result.interrupted}: every record written is complete; {hint}")
        raise typer.Exit(143 if result.interrupted == "SIGTERM" else 130)
    if result.errors:
        raise typer.Exit(EXIT_FAILED if not result.articles else EXIT_PARTIAL)


def _count(n: int, noun: str) -> str:
    """``1 input``, ``2 inputs``: the summary line reads as English."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _exiting() -> None:
    """Once a run is stopped, further Ctrl-C/SIGTERM only cut the exit short: ignore them, or
    they land in the interpreter's exit hooks as a traceback (issue 15, item 8)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _report_error(message: str) -> None:
    warn(f"error: {message}")


def split(
    paths: Paths,
    no_split: NoSplit = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    stdin_format: StdinFormat = "auto",
) -> None:
    """Clean pages and print one JSON object per article (dropped lines included).

    **Examples**

    ```
    classifier split seeds/001_04f726505ebab9a0.txt | head -1
    cat page.txt | classifier split - --no-split
    ```
    """
    from classifier.text.reader import read_articles

    show_notes()
    tally = Tally()
    try:
        for article in tally.articles_of(read_articles(paths, split=not no_split,
                                                       max_bytes=max_bytes,
                                                       stdin_format=stdin_format)):
            emit(article.to_dict())
    except ClassifierError as exc:
        fail(exc)
    tally.exit()


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
    stdin_format: StdinFormat = "auto",
) -> None:
    """Print a summary and keywords per article (JSON lines unless writing to a terminal).

    **Examples**

    ```
    classifier summarize seeds/003_*.txt --sentences 2 --max-chars 80
    classifier summarize records.jsonl --method textrank --format jsonl
    ```
    """
    from classifier.labelling.records import summary_record
    from classifier.summary.extract import METHODS
    from classifier.text.reader import read_articles

    if method not in METHODS:
        warn(f"error: unknown --method {method!r}; use one of {', '.join(METHODS)}")
        raise typer.Exit(EXIT_USAGE)
    fmt = output_format or ("text" if sys.stdout.isatty() else "jsonl")
    if fmt not in ("jsonl", "text"):
        warn(f"error: unknown --format {fmt!r}; use jsonl or text")
        raise typer.Exit(EXIT_USAGE)
    show_notes()
    scorer = _keyword_scorer()
    tally = Tally()
    try:
        for article in tally.articles_of(read_articles(paths, split=not no_split,
                                                       max_bytes=max_bytes,
                                                       stdin_format=stdin_format)):
            rec = summary_record(article, sentences=sentences, max_chars=max_chars,
                                 method=method, scorer=scorer)
            if fmt == "jsonl":
                emit(rec.to_dict())
            else:
                typer.echo(f"[{rec.id}] {rec.title}\n  {rec.summary}\n"
                           f"  keywords: {'、'.join(rec.keywords)}\n")
    except ClassifierError as exc:
        fail(exc)
    tally.exit()


def _keyword_scorer() -> Any:
    """Keyword weights by the default model's IDF, or None (term frequency) without a model."""
    from classifier.model.store import load_model

    try:
        return load_model("default").keyword_scorer()
    except ClassifierError as exc:
        warn(f"note: keywords use term frequency only (no default model: {exc})")
        return None
