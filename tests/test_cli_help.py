"""Every command's --help shows an example and reads right (issue 15, item 27)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from classifier.cli.app import app

runner = CliRunner()
COMMANDS = sorted(c.name or (c.callback.__name__ if c.callback else "")
                  for c in app.registered_commands)


def test_every_command_is_listed() -> None:
    assert {"classify", "label", "split", "summarize", "train", "evaluate", "models",
            "serve"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example_and_no_type_tags(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"classifier {command} " in result.output  # the example runs this very command
    # Newer typer printed <bool>/<list[str]>: `--no-split true` then looked like a value.
    assert not re.search(r"<(bool|str|int|float|list\[str\])[^>]*>", result.output)


def test_typer_is_a_version_whose_help_reads_right() -> None:
    major, minor = (int(x) for x in typer.__version__.split(".")[:2])
    assert (major, minor) < (0, 27)
