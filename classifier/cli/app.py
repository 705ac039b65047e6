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

from classifier.errors import ClassifierError, UsageError

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
    """Report a library error on stderr and exit without a traceback (usage errors: 2)."""
    warn(f"error: {exc}")
    raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else code)


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


@app.command()
def models(
    directory: Annotated[
        str | None,
        typer.Option("--dir", help="Directory holding model directories (default: models/)."),
    ] = None,
) -> None:
    """List the models under models/ with their labels, training size and metrics (JSON)."""
    from classifier.model.catalog import list_models

    try:
        found = list_models(directory)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps({"models": found}, ensure_ascii=False, indent=1) + "\n")


@app.command()
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


@app.command()
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


@app.command()
def train(
    data: Annotated[
        list[str],
        typer.Argument(help="Labelled files: JSONL {text, labels}, doccano JSONL, Label Studio "
                            "JSON export, or CSV (text, labels separated by ; or |)."),
    ],
    out: Annotated[str, typer.Option("--out", "-o", help="Directory to write the model to.")],
    taxonomy: Annotated[
        str | None,
        typer.Option("--taxonomy", help="Taxonomy JSON (default: the packaged one)."),
    ] = None,
    cv: Annotated[
        int, typer.Option("--cv", min=0, help="Cross-validation folds (0 = none; else >= 2).")
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Retrain on this model's stored examples plus DATA."),
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed rows instead of failing.")
    ] = False,
    estimator: Annotated[
        str, typer.Option("--estimator", help="Per-label linear model: logreg, sgd, svm or nbsvm "
                                             "(LinearSVC on NB log-count-ratio scaled features).")
    ] = "logreg",
    c: Annotated[
        float, typer.Option("--c", min=0.0, help="Inverse regularization (svm uses C/20).")
    ] = 10.0,
    char_hi: Annotated[
        int, typer.Option("--char-hi", min=1, help="Longest character n-gram.")
    ] = 2,
    min_df: Annotated[
        int, typer.Option("--min-df", min=1, help="Keep terms seen in at least this many rows.")
    ] = 2,
    word_weight: Annotated[
        float, typer.Option("--word-weight", min=0.0, help="Weight of the word block.")
    ] = 1.0,
) -> None:
    """Train a theme model and print its metrics as JSON."""
    import logging

    from classifier.training.trainer import train as train_model

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="warning: %(message)s")
    try:
        base_dir = None
        if base is not None:
            from classifier.model.store import resolve_model_dir

            base_dir = resolve_model_dir(base)
        from classifier.features.space import FeatureSettings
        from classifier.training.trainer import TrainSettings

        settings = TrainSettings(cv=cv, seed=seed, estimator=estimator, c=c,
                                 features=FeatureSettings(char_hi=char_hi, min_df=min_df,
                                                          word_weight=word_weight))
        metrics = train_model(data, out_dir=out, settings=settings, taxonomy=taxonomy,
                              base=base_dir, skip_bad=skip_bad)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n")


@app.command()
def evaluate(
    data: Annotated[str, typer.Argument(help="A labelled file (any format `train` reads).")],
    model: ModelOpt = "default",
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed rows instead of failing.")
    ] = False,
) -> None:
    """Score a model on labelled data: n, micro/macro F1, per-label P/R/F1 (JSON)."""
    from classifier.training.evaluation import evaluate as evaluate_model

    try:
        result = evaluate_model(data, model=model, skip_bad=skip_bad)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")


def _keyword_scorer() -> Any:
    """Keyword weights by the default model's IDF, or None (term frequency) without a model."""
    from classifier.model.store import load_model

    try:
        return load_model("default").keyword_scorer()
    except ClassifierError as exc:
        warn(f"note: keywords use term frequency only (no default model: {exc})")
        return None


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    model: ModelOpt = "default",
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes (each loads the model).")
    ] = 1,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="Refuse larger request bodies (413).")
    ] = 5 * 1024 * 1024,
) -> None:
    """Run the HTTP service (POST /classify, /summarize; GET /themes, /model, /health; docs
    at /docs). SIGHUP or POST /admin/reload (loopback only) reloads the model; SIGTERM stops."""
    from classifier.service.runner import run_server

    try:
        run_server(host=host, port=port, model=model, workers=workers,
                   max_body_bytes=max_body_bytes)
    except ClassifierError as exc:
        fail(exc)


def main() -> None:
    """Console-script entry point."""
    app()
