"""The theme taxonomy: packaged ``data/taxonomy.json`` or a user file of the same shape.

A theme has an ``id``, Chinese and English names, a ``covers`` description and ``terms``
(typical words; evidence, not rules). The classifier uses terms and covers as seed evidence
for themes with few labelled examples (issue 3).

A theme's ``not`` says what looks like it but belongs elsewhere, naming the other theme
(worker_welfare: "Help targeted at registered hardship households (hardship_relief)"): the
themes it names are the ones it yields to (``Theme.yields_to``, issue 11; see
``ThemeModel``).

A theme may also list ``extra_terms``: they are read as more terms. The packaged copy keeps
the shared taxonomy's ``terms`` unchanged and adds the desk vocabulary of local union reports
there (issue 11: union_building and workers_culture, whose shared terms cover few of the
local reports that carry them; docs/CLASSIFIER.md has the measurements).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from classifier.errors import DataError

__all__ = ["Taxonomy", "Theme", "load_taxonomy"]


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy."""

    id: str
    zh: str = ""
    en: str = ""
    covers: str = ""
    terms: tuple[str, ...] = ()
    yields_to: tuple[str, ...] = ()  # the other themes its ``not`` names, in taxonomy order

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "zh": self.zh, "en": self.en, "covers": self.covers,
                "terms": list(self.terms)}


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of themes."""

    themes: tuple[Theme, ...]

    @property
    def ids(self) -> list[str]:
        """Theme ids in taxonomy order."""
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme | None:
        """The theme with this id, or None."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the file format)."""
        return {"themes": [t.to_dict() for t in self.themes]}


def _parse(data: Any, where: str) -> Taxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise DataError(f"{where}: expected a JSON object with a 'themes' list")
    themes = []
    seen: set[str] = set()
    for i, raw in enumerate(data["themes"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            raise DataError(f"{where}: theme #{i} needs a non-empty string 'id'")
        if raw["id"] in seen:
            raise DataError(f"{where}: theme id {raw['id']!r} appears twice")
        seen.add(raw["id"])
        terms: list[str] = []
        for key in ("terms", "extra_terms"):
            more = raw.get(key, [])
            if not isinstance(more, list) or not all(isinstance(t, str) for t in more):
                raise DataError(f"{where}: theme {raw['id']!r}: {key!r} must be a list of "
                                "strings")
            terms += more
        themes.append(Theme(
            id=raw["id"], zh=str(raw.get("zh", "")), en=str(raw.get("en", "")),
            covers=str(raw.get("covers", "")),
            terms=tuple(dict.fromkeys(t for t in terms if t.strip())),
        ))
    named = [_named_ids(str(raw.get("not", "")), seen - {raw["id"]}) for raw in data["themes"]]
    order = [t.id for t in themes]
    return Taxonomy(tuple(replace(t, yields_to=tuple(i for i in order if i in found))
                          for t, found in zip(themes, named, strict=True)))


def _named_ids(text: str, ids: set[str]) -> set[str]:
    """The theme ids written in ``text`` as whole words (``(hardship_relief)``)."""
    return {word for word in re.findall(r"[A-Za-z0-9_]+", text) if word in ids}


@lru_cache(maxsize=1)
def _packaged() -> Taxonomy:
    text = resources.files("classifier").joinpath("data/taxonomy.json").read_text("utf-8")
    return _parse(json.loads(text), "classifier/data/taxonomy.json")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the packaged one when ``path`` is None."""
    if path is None:
        return _packaged()
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read taxonomy {p}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: not a JSON taxonomy file ({exc})") from exc
    return _parse(data, str(p))
