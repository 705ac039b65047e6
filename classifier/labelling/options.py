"""How to label: explanation depth, summary budget and method, keyword count — validated.

``Options`` checks every value when it is made, so a bad value fails when a call starts, with
an ``OptionError`` (a ``ValueError``) naming the option and its allowed range, instead of
turning every input into an error record later. ``LIMITS`` is the single table of ranges: the
HTTP request models use the same bounds, so the OpenAPI schema and the library agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from classifier.errors import OptionError
from classifier.summary.extract import METHODS

__all__ = ["LIMITS", "METHODS", "Options", "check_range"]

# option -> (lowest, highest) allowed value, both inclusive
LIMITS: dict[str, tuple[int, int]] = {
    "top_terms": (0, 50),
    "sentences": (1, 50),
    "max_chars": (2, 10_000),
    "keywords": (0, 50),
    "explain_unassigned": (0, 50),
}


def check_range(name: str, value: object, low: int, high: int | None = None) -> None:
    """Raise ``OptionError`` unless ``value`` is an integer in ``low..high`` (no bool)."""
    upper = f" to {high:,}" if high is not None else " or more"
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{name} must be an integer from {low:,}{upper}, "
                          f"got {value!r}")
    if value < low or (high is not None and value > high):
        raise OptionError(f"{name} must be from {low:,}{upper}, got {value:,}")


@dataclass(frozen=True)
class Options:
    """How to label: ``top_terms`` evidence terms per theme, a summary of at most
    ``sentences`` sentences and ``max_chars`` characters by ``method`` (``lead`` or
    ``textrank``), and ``keywords`` keywords per article (0: none). Evidence is given for the
    assigned themes, and for the ``explain_unassigned`` best-scoring themes that were not
    assigned (0: none; the terminal table uses it to say what raised a near miss)."""

    top_terms: int = 5
    sentences: int = 3
    max_chars: int = 150
    method: str = "lead"
    keywords: int = 5
    explain_unassigned: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in LIMITS:
                check_range(f.name, getattr(self, f.name), *LIMITS[f.name])
        if self.method not in METHODS:
            raise OptionError(f"method must be one of {', '.join(METHODS)}, got "
                              f"{self.method!r}")
