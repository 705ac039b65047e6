"""Typed exceptions raised by the library, grouped by cause; only the CLI turns them into exit
codes (see the README's table).

``ClassifierError`` is the base of everything raised on purpose:

- ``InputError``: an input (file, text, JSONL line) cannot be read: missing, binary, too large,
  undecodable, malformed.
- ``UsageError``: the caller asked for something that cannot work: a bad option value
  (``OptionError``, also a ``ValueError``), options that contradict each other, no inputs.
- ``ModelError``: a model directory is missing, tampered with, incompatible or unusable.
- ``DataError``: training or evaluation data is malformed (names the file and line).
- ``OutputError``: results cannot be written (disk full, closed pipe, unwritable path).
- ``ServiceError``: the HTTP service cannot start (address in use, privileged port).
"""

from __future__ import annotations

__all__ = [
    "ClassifierError",
    "DataError",
    "InputError",
    "ModelError",
    "OptionError",
    "OutputError",
    "ServiceError",
    "UsageError",
]


class ClassifierError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(ClassifierError):
    """An input file or text cannot be read: missing, binary, too large, undecodable."""


class UsageError(ClassifierError):
    """The call cannot work as asked: bad or contradictory options, no inputs."""


class OptionError(UsageError, ValueError):
    """One option has a value outside its allowed range; the message names both."""


class ModelError(ClassifierError):
    """A model directory is missing, tampered with, incompatible or otherwise unusable."""


class DataError(ClassifierError):
    """Training or evaluation data is malformed (names the file and line)."""


class OutputError(ClassifierError):
    """Results cannot be written (the records written before the failure are complete)."""


class ServiceError(ClassifierError):
    """The HTTP service could not start, or could not analyze a request (its analysis
    processes kept stopping)."""
