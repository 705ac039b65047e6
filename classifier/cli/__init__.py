"""Command-line interface: thin typer commands over library functions (``classifier ...``)."""

from __future__ import annotations

from classifier.cli.app import app, main

__all__ = ["app", "main"]
