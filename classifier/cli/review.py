"""The correction loop's commands: ``suggest`` (what to label next) and ``review`` (the page)."""

from __future__ import annotations

from typing import Annotated

import typer

from classifier.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    MaxBytes,
    ModelOpt,
    NoSplit,
    emit,
    exit_for_failures,
    fail,
    warn,
)
from classifier.errors import ClassifierError

__all__ = ["review", "suggest"]

Inputs = Annotated[
    list[str],
    typer.Argument(help="Files, folders (searched recursively with --glob), .jsonl files of "
                   "{id, title?, text} records, or - for stdin.", show_default=False),
]
Glob = Annotated[
    str, typer.Option("--glob", help="File-name pattern for files found in folders.")
]
Strategy = Annotated[
    str, typer.Option("--strategy", help="combined (default), uncertainty, rare, diverse or "
                      "random; see docs/REVIEW.md for how they compare.")
]


def suggest(
    inputs: Inputs,
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="How many articles to suggest.")]
    = 20,
    model: ModelOpt = "default",
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Corrections file(s): their ids are left out and their "
                     "labels count as known examples."),
    ] = None,
    strategy: Strategy = "combined",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random strategy.")] = 0,
    glob: Glob = "*.txt",
    no_split: NoSplit = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Print the N articles most useful to label next, most useful first, as JSON lines
    ({"id", "title", "why", "scores", "labels", ...}).

    **Examples**

    ```
    classifier suggest archive/2025/ --n 40 > next.jsonl
    classifier suggest new.jsonl --n 20 --exclude corrections.jsonl --model models/desk
    ```
    """
    from classifier.review.strategies import suggest as rank

    try:
        picks, failures = rank(inputs, n=n, model=model, strategy=strategy,
                               exclude=exclude or [], glob=glob, split=not no_split,
                               max_bytes=max_bytes, seed=seed)
    except ClassifierError as exc:
        fail(exc)
    for failure in failures:
        warn(f"error: {failure.error}")
    for pick in picks:
        emit(pick.to_dict())
    exit_for_failures(len(failures), len(picks))


def review(
    inputs: Inputs,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Corrections file (JSONL): each save appends "
                          "one line; a restart skips the ids saved in it.",
                          show_default=False),
    ],
    model: ModelOpt = "default",
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    strategy: Strategy = "combined",
    retrain_out: Annotated[
        str | None,
        typer.Option("--retrain-out", help="Where the page's retrain writes the new model "
                     "(default: beside --out, named after it with -model).",
                     show_default=False),
    ] = None,
    glob: Glob = "*.txt",
    no_split: NoSplit = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
) -> None:
    """Serve the review page: one article at a time in suggest order, themes pre-ticked,
    keys to toggle, Enter to save (one line appended to --out), s to skip, u to undo.

    **Examples**

    ```
    classifier review archive/2025/ --out corrections.jsonl
    classifier review new.jsonl --out corrections.jsonl --model models/desk --port 8001
    ```
    """
    import ipaddress

    from classifier.model.store import load_model, resolve_model_dir
    from classifier.review.app import serve_review
    from classifier.review.corrections import CorrectionsFile
    from classifier.review.inputs import read_inputs
    from classifier.review.session import ReviewSession

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        warn(f"warning: --host {host} serves the review page beyond this machine: anyone on "
             "the network can read the articles and write corrections to "
             f"{out}; use --host 127.0.0.1 unless that is what you want")
    try:
        model_dir = resolve_model_dir(model)
        theme_model = load_model(model_dir)
        articles, failures = read_inputs(inputs, glob=glob, split=not no_split,
                                         max_bytes=max_bytes)
        for failure in failures:
            warn(f"error: {failure.error}")
        if not articles:
            warn("error: no article to review in the inputs")
            raise typer.Exit(EXIT_USAGE if not failures else EXIT_FAILED)
        corrections = CorrectionsFile(out)
        if corrections.torn:
            warn(f"note: {out}: cut off an incomplete last line ({corrections.torn} bytes) left "
                 "by an interrupted save")
        session = ReviewSession(articles, theme_model, model_name=model,
                                model_dir=str(model_dir), corrections=corrections,
                                strategy=strategy, retrain_out=retrain_out)
        progress = session.progress()
        warn(f"reviewing {progress['queued']} articles ({progress['saved']} saved in {out}) at "
             f"http://{host}:{port}/ (Ctrl-C stops; every save is on disk)")
        try:
            serve_review(session, host=host, port=port)
        finally:
            corrections.close()
    except ClassifierError as exc:
        fail(exc)
