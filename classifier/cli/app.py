"""Command-line interface: thin typer commands over library functions.

Commands only parse options, call one library function and format its result; they live in
modules by concern (``labelling``, ``training``, ``service``) and are registered here.
Results go to stdout (JSON with ``ensure_ascii=False``); logs and progress go to stderr.
Only the CLI exits; the library raises ``classifier.errors`` exceptions.

Exit codes: 0 success, 1 nothing could be done, 2 usage error, 3 some inputs failed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from classifier.cli import labelling, review, service, training

__all__ = ["app", "main"]

app = typer.Typer(
    name="classifier",
    help="Tag Chinese trade-union news with themes and write lead summaries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown keeps the docstrings' paragraphs and shows their indented examples as written.
    rich_markup_mode="markdown",
)


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


for command in (labelling.classify, training.models, labelling.label, labelling.split,
                labelling.summarize, training.train, training.evaluate, service.serve,
                review.suggest, review.review):
    app.command()(command)


def main() -> None:
    """Console-script entry point."""
    app()
