"""Typed exceptions raised by the library; only the CLI turns them into exit codes."""

from __future__ import annotations

__all__ = ["ClassifierError", "DataError", "InputError", "ModelError"]


class ClassifierError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(ClassifierError):
    """An input file or text cannot be read: missing, binary, too large, undecodable."""


class ModelError(ClassifierError):
    """A model directory is missing, tampered with, incompatible or otherwise unusable."""


class DataError(ClassifierError):
    """Training or evaluation data is malformed (names the file and line)."""
