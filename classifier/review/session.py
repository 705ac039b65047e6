"""The review state behind the page: the queue in ``suggest`` order, saves, skips, undo, retrain.

``ReviewSession`` holds the articles, the model and the corrections file. The queue is ranked
once when the session starts (``strategies.rank_articles`` over every article not saved yet);
a save takes the article off the queue, a skip moves it to the end, an undo removes the last
saved line and puts its article back at the front. Articles are analyzed (themes, evidence,
summary) when they are first asked for, a few at a time, and kept.

``Retrainer`` runs ``classifier train CORRECTIONS --base MODEL --out NEW`` in a child process
(the command a user would type, so the page proves the file trains as it is) on a snapshot of
the corrections, and keeps its JSON result for the page.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import InputError, OptionError, ServiceError
from classifier.labelling.analysis import analyze
from classifier.labelling.options import Options
from classifier.labelling.records import LabelRecord
from classifier.model.theme_model import ThemeModel
from classifier.review.corrections import CorrectionsFile
from classifier.review.strategies import DEFAULT_STRATEGY, Known, rank_articles
from classifier.text.article import Article

__all__ = ["MAX_QUEUE", "PAGE_KEYS", "Retrainer", "ReviewSession", "summarize_training",
           "theme_keys"]

log = logging.getLogger(__name__)

# The page's own keys; theme keys never use them (issue 12: 13+ themes, no clashes).
PAGE_KEYS = {"save": "Enter", "skip": "s", "undo": "u"}
_THEME_KEYS = "1234567890abcdefghijklmnopqrstuvwxyz"
MAX_QUEUE = 100
# Evidence terms per predicted theme, highlighted in the text.
EVIDENCE_TERMS = 8


def theme_keys(labels: Sequence[str]) -> dict[str, str]:
    """A key per theme: 1-9, 0, then letters, never one of ``PAGE_KEYS``.

    Themes past the 34th get no key (they stay clickable).
    """
    taken = {k.lower() for k in PAGE_KEYS.values()}
    free = [k for k in _THEME_KEYS if k not in taken]
    return dict(zip(labels, free, strict=False))


def _marks(text: str, spans: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Non-overlapping ``{"start", "end", "themes"}`` of the terms in ``text`` (longest first,
    then leftmost), so the page can highlight them without parsing HTML."""
    taken = [False] * len(text)
    found: list[dict[str, Any]] = []
    for term in sorted(spans, key=lambda t: (-len(t), t)):
        if not term:
            continue
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(taken[start:end]):
                for k in range(start, end):
                    taken[k] = True
                found.append({"start": start, "end": end, "themes": sorted(spans[term])})
            start = text.find(term, end)
    return sorted(found, key=lambda m: m["start"])


@dataclass
class _Entry:
    article: Article
    why: str


class ReviewSession:
    """Queue, analysis cache and corrections of one review run (thread-safe)."""

    def __init__(self, articles: Sequence[Article], model: ThemeModel, *, model_name: str,
                 model_dir: str, corrections: CorrectionsFile,
                 strategy: str = DEFAULT_STRATEGY, retrain_out: str | Path | None = None) -> None:
        self.model = model
        self.model_name = model_name
        self.model_dir = model_dir
        self.corrections = corrections
        self.labels = list(model.labels)
        self.keys = theme_keys(self.labels)
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {a.key: _Entry(a, "") for a in articles}
        saved = corrections.latest()
        known = [Known(str(r.get("title") or ""), r["text"], tuple(r["labels"]))
                 for r in saved.values()]
        fresh = [a for a in articles if a.key not in saved]
        t0 = time.perf_counter()
        ranked = rank_articles(fresh, model, n=len(fresh), strategy=strategy, known=known,
                               model_dir=model_dir)
        log.info("ranked %d articles in %.1f s", len(ranked), time.perf_counter() - t0)
        for s in ranked:
            self._entries[s.id].why = s.why
        self._queue: list[str] = [s.id for s in ranked]
        self._records: dict[str, LabelRecord] = {}
        self._term_themes = self._taxonomy_terms()
        out = Path(retrain_out) if retrain_out else corrections.path.with_name(
            corrections.path.stem + "-model")
        self.retrainer = Retrainer(corrections, base=model_dir, out_dir=out)

    # -- reading -------------------------------------------------------------------------------
    def _taxonomy_terms(self) -> dict[str, set[str]]:
        """Each taxonomy term of the model and the themes it is evidence for."""
        out: dict[str, set[str]] = {}
        for lab, group in zip(self.labels, self.model.term_groups, strict=False):
            for t in group:
                out.setdefault(self.model.terms[t], set()).add(lab)
        return out

    def _analyzed(self, ids: Sequence[str]) -> list[LabelRecord]:
        missing = [i for i in ids if i not in self._records]
        if missing:
            records = analyze([self._entries[i].article for i in missing], self.model,
                              Options(top_terms=EVIDENCE_TERMS))
            self._records.update(zip(missing, records, strict=True))
        return [self._records[i] for i in ids]

    def item(self, rid: str, record: LabelRecord) -> dict[str, Any]:
        """What the page and ``GET /api/queue`` show of one article."""
        entry = self._entries[rid]
        text = entry.article.text
        spans: dict[str, set[str]] = {}
        lowered = text.lower()
        for term, themes in self._term_themes.items():
            if term in lowered:
                spans.setdefault(term, set()).update(themes)
        for lab, pairs in record.evidence.items():
            for term, _weight in pairs:
                spans.setdefault(str(term), set()).add(lab)
        # Terms are matched in the lowered text (taxonomy terms are stored lowered); offsets are
        # the same because lowering keeps the length of Chinese and ASCII text alike.
        marks = _marks(lowered, {t.lower(): v for t, v in spans.items()}) \
            if len(lowered) == len(text) else []
        return {"id": rid, "title": record.title, "text": text, "summary": record.summary,
                "labels": list(record.labels), "scores": dict(record.scores),
                "evidence": record.evidence, "keywords": list(record.keywords),
                "marks": marks, "why": entry.why, "source": record.source}

    def queue_items(self, n: int) -> list[dict[str, Any]]:
        """The next ``n`` articles to review, in suggestion order, saved ones never."""
        with self._lock:
            ids = self._queue[:max(0, n)]
            return [self.item(i, r) for i, r in zip(ids, self._analyzed(ids), strict=True)]

    def progress(self) -> dict[str, int]:
        """Saved articles (distinct ids in the file) and articles still queued."""
        with self._lock:
            return {"saved": len(self.corrections), "queued": len(self._queue)}

    # -- writing -------------------------------------------------------------------------------
    def check_labels(self, labels: Sequence[str]) -> list[str]:
        """The labels in model order; ``OptionError`` naming any unknown theme."""
        known = set(self.labels)
        unknown = [lab for lab in labels if lab not in known]
        if unknown:
            raise OptionError(f"unknown theme(s) {', '.join(map(repr, unknown))}; the model's "
                              f"themes are {', '.join(self.labels)}")
        chosen = set(labels)
        return [lab for lab in self.labels if lab in chosen]

    def save(self, rid: str, labels: Sequence[str]) -> dict[str, Any]:
        """Append the correction (synced to disk) and take the article off the queue.

        Raises ``OptionError`` for an unknown theme, ``InputError`` for an unknown id.
        """
        ordered = self.check_labels(labels)
        with self._lock:
            entry = self._entries.get(rid)
            if entry is None:
                raise InputError(f"unknown article id {rid!r}; ask GET /api/queue for the ids "
                                 "under review")
            record = self.corrections.append(id=rid, title=entry.article.title,
                                             text=entry.article.text, labels=ordered,
                                             model=self.model_name)
            if rid in self._queue:
                self._queue.remove(rid)
            return record

    def skip(self, rid: str) -> None:
        """Move a queued article to the end of the queue (``InputError`` if not queued)."""
        with self._lock:
            if rid not in self._queue:
                raise InputError(f"article id {rid!r} is not in the queue")
            self._queue.remove(rid)
            self._queue.append(rid)

    def undo(self) -> dict[str, Any] | None:
        """Remove the last saved line; its article goes back to the front of the queue.

        Returns the article as ``queue_items`` shows it plus ``saved_labels`` (the labels the
        undone line held), or None when nothing was saved.
        """
        with self._lock:
            record = self.corrections.undo()
            if record is None:
                return None
            rid = record["id"]
            if rid not in self._entries:
                # Saved in an earlier run from an input not given this time: still undone.
                return {"id": rid, "saved_labels": record["labels"], "item": None}
            if rid in self._queue:
                self._queue.remove(rid)
            if rid not in self.corrections.latest():
                self._queue.insert(0, rid)
            item = self.item(rid, self._analyzed([rid])[0])
            return {"id": rid, "saved_labels": record["labels"], "item": item}


class Retrainer:
    """``classifier train SNAPSHOT --base BASE --out OUT --force`` in a child process, one at
    a time (``--force``: each retrain replaces the session's previous retrained model)."""

    def __init__(self, corrections: CorrectionsFile, *, base: str, out_dir: Path) -> None:
        self.corrections = corrections
        self.base = base
        self.out_dir = out_dir
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {"state": "idle"}

    def status(self) -> dict[str, Any]:
        """``{"state": idle|running|done|failed, ...}`` with the result once done."""
        with self._lock:
            return dict(self.state)

    def start(self) -> dict[str, Any]:
        """Start a retrain unless one is running; ``ServiceError`` without corrections."""
        with self._lock:
            if self.state["state"] == "running":
                return dict(self.state)
            if not len(self.corrections):
                raise ServiceError("no corrections saved yet: save some before retraining")
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            snapshot = self.out_dir.with_name(self.out_dir.name + ".corrections.jsonl")
            lines = self.corrections.snapshot(snapshot)
            command = [sys.executable, "-m", "classifier", "train", str(snapshot),
                       "--base", self.base, "--out", str(self.out_dir), "--force"]
            self.state = {"state": "running", "lines": lines, "command": command,
                          "started": time.time(), "out": str(self.out_dir)}
            self._thread = threading.Thread(target=self._run, args=(command,), daemon=True,
                                            name="review-retrain")
            self._thread.start()
            return dict(self.state)

    def _run(self, command: list[str]) -> None:
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=env)
            with self._lock:
                self._proc = proc
            out, err = proc.communicate()
        except OSError as exc:
            self._finish({"state": "failed", "error": f"cannot start training: {exc}"})
            return
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            self._finish({"state": "failed", "error": " ".join(tail) or
                          f"train exited with {proc.returncode}"})
            return
        try:
            result = json.loads(out.decode("utf-8"))
        except json.JSONDecodeError as exc:
            self._finish({"state": "failed", "error": f"unreadable train output ({exc})"})
            return
        self._finish({"state": "done", **summarize_training(result)})

    def _finish(self, update: dict[str, Any]) -> None:
        with self._lock:
            started = self.state.get("started", time.time())
            self.state = {**self.state, **update,
                          "seconds": round(time.time() - started, 1)}
            self._proc = None
        log.info("retrain %s", update.get("state"))

    def stop(self) -> None:
        """Stop a running retrain (server shutdown); its output directory stays untouched."""
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _f1(block: Any) -> float | None:
    return block.get("micro_f1") if isinstance(block, dict) else None


def summarize_training(result: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of ``train``'s JSON: CV F1 on the corrections when the trainer
    reports it, CV F1 over all examples, and both models on the corrections."""
    cv = result.get("cv") or {}
    comparison = result.get("base_comparison") or {}
    new_data = comparison.get("new_data") or {}
    training = result.get("training") or {}
    # Out-of-fold metrics of the new examples alone (``cv["new_examples"]``; a model trained
    # without cross-validation, or by an older package, has none).
    held_out = cv.get("new_examples") if isinstance(cv.get("new_examples"), dict) else None
    return {
        "model": result.get("out"),
        "n_corrections": training.get("n_new"),
        "n_examples": training.get("n_examples"),
        "cv_folds": cv.get("folds"),
        "cv_corrections_micro_f1": _f1(held_out),
        "cv_corrections_macro_f1": held_out.get("macro_f1") if held_out else None,
        "cv_all_micro_f1": _f1(cv),
        "cv_all_macro_f1": cv.get("macro_f1"),
        # The base model never saw the corrections: its F1 on them is a held-out figure too.
        "base_on_corrections_micro_f1": _f1(new_data.get("base")),
        "new_on_corrections_micro_f1": _f1(new_data.get("new")),
    }
