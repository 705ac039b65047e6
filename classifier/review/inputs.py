"""Inputs of ``suggest`` and ``review``: files, folders and JSONL, read as ``label`` reads them.

Folders are walked by ``classifier.labelling.tasks.iter_paths`` (recursive, ``--glob``, sorted,
symlink loops walked once); each file goes through ``classifier.text.reader.read_articles``.
"""

from __future__ import annotations

from collections.abc import Iterable

from classifier.labelling.tasks import iter_paths
from classifier.text.article import Article, Failure
from classifier.text.decode import DEFAULT_MAX_BYTES
from classifier.text.reader import read_articles

__all__ = ["read_inputs"]


def read_inputs(inputs: Iterable[str], *, glob: str = "*.txt", split: bool = True,
                max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[Article], list[Failure]]:
    """(articles, failures) of every input, in input order; an id seen twice is kept once.

    Articles without text are left out: there is nothing to label in them.
    """
    articles: list[Article] = []
    failures: list[Failure] = []
    seen: set[str] = set()
    for name, error in iter_paths(inputs, glob=glob):
        if error:
            failures.append(Failure(name, error))
            continue
        for item in read_articles([name], split=split, max_bytes=max_bytes):
            if isinstance(item, Failure):
                failures.append(item)
            elif item.key not in seen and (item.text.strip() or item.title.strip()):
                seen.add(item.key)
                articles.append(item)
    return articles, failures
