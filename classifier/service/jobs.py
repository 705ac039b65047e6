"""The CPU work of one ``/classify`` or ``/summarize`` request, as self-contained jobs.

The event loop never analyzes: it cuts a validated request into jobs (``make_jobs``), each a
small JSON document naming the texts and options, and an ``Analyzer`` (``service/pool``)
runs them in the analysis processes, or in one thread where there are none. ``run_job`` is
the one function that does the work in either place and returns the job's records already
encoded as JSON, so that nothing but bytes crosses back and the event loop only joins them
(``join_fragments``).

Records are encoded by pydantic (``TypeAdapter.dump_json``), the same encoder FastAPI used
for these endpoints' ``dict[str, Any]`` answers, so the bodies are byte for byte what they
were: compact, UTF-8, non-ASCII written as is (``ensure_ascii=False``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from classifier import errors
from classifier.errors import ClassifierError

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from classifier.model.theme_model import ThemeModel
    from classifier.text.article import Article

__all__ = ["JOB_CHARS", "error_from_reply", "error_reply", "join_fragments", "make_jobs",
           "run_job"]

# Texts of a ``texts`` list are sent in jobs of at most this many characters (a single text
# is one job whatever its size): a long list then waits its turn between other requests' jobs
# instead of holding an analysis process (or the analysis thread) for its whole duration.
# 20,000 characters is ~50 ms of analysis on this project's reference machine.
JOB_CHARS = 20_000

# The errors a job may raise on purpose (every exception of classifier.errors), by name, so a
# process can report one to the event loop and the loop raise the same type (InputError and
# UsageError: 422; the others: 500).
_ERRORS: dict[str, type[ClassifierError]] = {name: getattr(errors, name)
                                             for name in errors.__all__}


def make_jobs(op: str, req: Any, options: dict[str, Any]) -> list[bytes]:
    """The jobs of one validated request (``ClassifyRequest``/``SummarizeRequest``), in order.

    ``op`` is ``"classify"`` or ``"summarize"``; ``options`` the request's summary, keyword
    (and evidence) options. Each job names its texts' sources (``<text>``, ``<texts[i]>``), so
    records come out exactly as if the whole request had been analyzed at once (analysis is
    per article: tested in tests/test_serve.py).
    """
    if req.text is not None:
        groups = [[{"source": "<text>", "text": req.text, "title": req.title}]]
    else:
        groups = list(_groups(req.texts or []))
    return [json.dumps({"op": op, "split": req.split, "options": options, "items": items},
                       ensure_ascii=False).encode("utf-8") for items in groups]


def _groups(texts: list[str]) -> Iterator[list[dict[str, Any]]]:
    """``texts`` as items, grouped into runs of at most ``JOB_CHARS`` characters."""
    group: list[dict[str, Any]] = []
    size = 0
    for i, text in enumerate(texts):
        if group and size + len(text) > JOB_CHARS:
            yield group
            group, size = [], 0
        group.append({"source": f"<texts[{i}]>", "text": text, "title": None})
        size += len(text)
    if group or not texts:
        yield group


def _articles(items: list[dict[str, Any]], split: bool) -> list[Article]:
    """The items' texts as articles, empty ones left out."""
    from classifier.text.jsonl import article_from_record
    from classifier.text.reader import articles_from_text

    found: list[Article] = []
    for item in items:
        if item["title"] is not None:
            # A titled text is one article (the caller split it already).
            found.append(article_from_record({"title": item["title"], "text": item["text"]},
                                             source=item["source"], line=1))
        else:
            found += articles_from_text(item["text"], source=item["source"], split=split)
    return [a for a in found if a.title or a.text]


@lru_cache(maxsize=1)
def _encoder() -> TypeAdapter[list[Any]]:
    from pydantic import TypeAdapter

    return TypeAdapter(list[Any])


def run_job(model: ThemeModel, job: bytes) -> bytes:
    """Do one job with ``model``: its records as a JSON array without the brackets (empty when
    no article has a title or text). Raises what the analysis raises."""
    spec = json.loads(job)
    articles = _articles(spec["items"], spec["split"])
    if not articles:
        return b""
    opts = spec["options"]
    if spec["op"] == "classify":
        from classifier.labelling.analysis import analyze
        from classifier.labelling.options import Options

        records = [r.to_dict() for r in analyze(articles, model, Options(**opts))]
    else:
        from classifier.labelling.records import summary_record

        scorer = model.keyword_scorer()
        records = [summary_record(a, sentences=opts["sentences"], max_chars=opts["max_chars"],
                                  method=opts["method"], k=opts["keywords"],
                                  scorer=scorer).to_dict() for a in articles]
    return _encoder().dump_json(records)[1:-1]


def join_fragments(fragments: list[bytes]) -> bytes:
    """The ``{"articles": [...]}`` body of a request from its jobs' fragments, in order."""
    return b'{"articles":[' + b",".join(f for f in fragments if f) + b"]}"


def error_reply(exc: ClassifierError) -> bytes:
    """A library error as JSON, to cross from an analysis process to the event loop."""
    name = type(exc).__name__ if type(exc).__name__ in _ERRORS else "ClassifierError"
    return json.dumps({"error": name, "message": str(exc)}, ensure_ascii=False).encode("utf-8")


def error_from_reply(reply: bytes) -> ClassifierError:
    """The exception that ``error_reply`` encoded, of the same type and message."""
    data = json.loads(reply)
    return _ERRORS.get(data["error"], ClassifierError)(data["message"])
