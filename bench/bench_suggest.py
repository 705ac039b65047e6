"""What to label next: ``suggest`` strategies against random picks, by simulation.

    nice -n 10 python bench/bench_suggest.py [--shared ../shared] [--base pd|DIR] [--n 40]
        [--runs combined,random:0,random:1,random:2,uncertainty,diverse,rare]
        [--direction ab,ba] [--items LABELLED.jsonl] [--results /tmp/bench_suggest.json]
        [--split-seed 0] [--desk-weight W]

Data: ``corpus/union_press/articles.jsonl`` with ``corpus/labels/union_press.jsonl`` (617
items of union news), or ``--items FILE``, one labelled JSONL file. The items are shuffled
(``--split-seed``, 0 unless given) and cut in two halves. For direction ``ab`` the picks
come from half A and the score is micro-F1 on half B (``ba``: the other way).

Base: ``pd`` (the default) trains a People's Daily-only model with ``classifier train``'s
defaults, as ``scripts/train_default.py`` does, so that the base has never seen union_press even
after the shipped default model is trained on it (issue 11); or give a model directory.

Each strategy picks ``--n`` items from the pool with the base model
(``classifier.review.strategies.rank_articles``, what ``classifier suggest`` runs). Their true
labels go into a corrections file exactly as the review page writes it, and the command a user
types retrains: ``classifier train PICKS.jsonl --base BASE --out NEW`` (its own defaults, in a
child process; ``--desk-weight W`` is passed on when given). The new model is scored on the
other half. ``random:SEED`` is random choice; the table's random figure is the mean of the
seeds. Results are kept in ``--results`` (a rerun skips what is done: each training takes
minutes on 2 cores; a file holding runs of another setup is refused).

Two references no user can run, since they read the pool's true labels: ``oracle-errors``
picks the items on which the base model makes the most mistakes (themes wrongly assigned
plus themes missed), ``oracle-missed`` those with the most themes missed (then the most
wrongly assigned); ties in a seeded order. They test whether correcting the base's own
mistakes is what teaches a retrained model most (docs/REVIEW.md round 4: on union reports it
is not; the strategies do as well or better). ``random:0`` with ``--n`` the pool's size
trains on the whole pool: the headroom that any 40 picks share (docs/REVIEW.md round 8).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_items(articles_path: Path, labels_path: Path) -> tuple[list[Any], dict[str, list[str]]]:
    """Articles (as the review page reads them) and their labels by id; the two paths may be
    one labelled JSONL file ({id, title, text, labels})."""
    from classifier.review.inputs import read_inputs

    labels: dict[str, list[str]] = {}
    with labels_path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row["labels"]
    articles, failures = read_inputs([str(articles_path)])
    if failures:
        raise SystemExit(f"unreadable input: {failures[0].error}")
    return [a for a in articles if a.key in labels], labels


def halves(articles: list[Any], seed: int = 0) -> tuple[list[Any], list[Any]]:
    """Two halves of the items, shuffled with ``seed``."""
    order = sorted(articles, key=lambda a: a.key)
    random.Random(seed).shuffle(order)
    mid = len(order) // 2
    return order[:mid], order[mid:]


def examples_of(items: list[Any], labels: dict[str, list[str]]) -> list[Any]:
    """Training examples (id, title, text, labels) of articles."""
    from classifier.training.datasets import Example

    return [Example(a.key, a.title, a.text, tuple(labels[a.key])) for a in items]


def write_corrections(path: Path, picks: list[Any], labels: dict[str, list[str]]) -> None:
    """The picks with their true labels, one line each as the review page writes them."""
    with path.open("w", encoding="utf-8") as w:
        for a in picks:
            w.write(json.dumps({"id": a.key, "title": a.title, "text": a.text,
                                "labels": labels[a.key], "model": "bench",
                                "saved_at": "2026-01-01T00:00:00+00:00"},
                               ensure_ascii=False) + "\n")


def cli_train(data: Path, out: Path, base: Path | None,
              desk_weight: float | None = None) -> dict[str, Any]:
    """``classifier train DATA [--base BASE] [--desk-weight W] --out OUT``, otherwise with the
    command's defaults."""
    command = [sys.executable, "-m", "classifier", "train", str(data), "--out", str(out)]
    if base is not None:
        command += ["--base", str(base)]
    if desk_weight is not None:
        command += ["--desk-weight", str(desk_weight)]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"train failed: {done.stderr.decode('utf-8', 'replace')[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.decode("utf-8"))
    return result


def retrain_score(picks: list[Any], labels: dict[str, list[str]], base: Path,
                  test: list[Any], desk_weight: float | None = None) -> dict[str, Any]:
    """Train --base on the picks' true labels, score the new model on ``test``."""
    from classifier.model.store import load_model
    from classifier.training.evaluation import evaluate_examples

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "corrections.jsonl"
        write_corrections(data, picks, labels)
        t0 = time.perf_counter()
        result = cli_train(data, Path(tmp) / "model", base, desk_weight)
        seconds = time.perf_counter() - t0
        scores = evaluate_examples(load_model(Path(tmp) / "model"), examples_of(test, labels))
    training = result.get("training", {})
    return {"micro_f1": scores["micro_f1"], "macro_f1": scores["macro_f1"],
            "train_seconds": round(seconds, 1),
            "picked_positive": sum(1 for a in picks if labels[a.key]),
            "themes_covered": len({x for a in picks for x in labels[a.key]}),
            "settings": {k: training.get(k) for k in ("desk_weight", "combiner", "calibrated",
                                                      "estimator", "C")}}


def pd_base(shared: Path, out: Path) -> Path:
    """A People's Daily-only model trained with the command's defaults (once)."""
    if (out / "meta.json").exists():
        return out
    sys.path.insert(0, str(ROOT / "scripts"))
    from train_default import join_labels

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "peoples_daily_labels.jsonl"
        join_labels(shared, data)
        cli_train(data, out, None)
    return out


def oracle_picks(pool: list[Any], labels: dict[str, list[str]], model: Any, kind: str,
                 n: int, seed: int) -> list[Any]:
    """The ``n`` items of ``pool`` the base model gets most wrong by their true labels:
    ``kind`` "errors" (wrongly assigned + missed) or "missed" (missed first)."""
    import numpy as np

    proba, _ = model.predict_proba_many([(a.title, a.text) for a in pool])
    assigned = model.decide(proba) > 0
    truth = np.array([[lab in labels[a.key] for lab in model.labels] for a in pool], dtype=bool)
    wrong = (assigned & ~truth).sum(axis=1)
    missed = (~assigned & truth).sum(axis=1)
    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    if kind == "errors":
        order.sort(key=lambda i: -(wrong[i] + missed[i]))
    else:
        order.sort(key=lambda i: (-missed[i], -wrong[i]))
    return [pool[i] for i in order[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--base", default="pd")
    ap.add_argument("--items", type=Path,
                    help="a labelled JSONL file ({id, title, text, labels}) to simulate on "
                         "instead of union_press (e.g. union news gathered for evaluation)")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--runs", default="combined,random:0,random:1,random:2,uncertainty,"
                    "diverse,rare")
    ap.add_argument("--direction", default="ab")
    ap.add_argument("--results", type=Path, default=Path("/tmp/bench_suggest.json"))
    ap.add_argument("--split-seed", type=int, default=0,
                    help="seed of the shuffle that cuts the items in halves")
    ap.add_argument("--desk-weight", type=float,
                    help="passed to train --desk-weight (its default when not given)")
    args = ap.parse_args()
    from classifier.model.store import load_model, resolve_model_dir
    from classifier.review.strategies import rank_articles
    from classifier.training.evaluation import evaluate_examples

    base = (pd_base(args.shared, args.results.with_suffix(".base")) if args.base == "pd"
            else resolve_model_dir(args.base))
    model = load_model(base)
    articles, labels = (load_items(args.items, args.items) if args.items else
                        load_items(args.shared / "corpus/union_press/articles.jsonl",
                                   args.shared / "corpus/labels/union_press.jsonl"))
    a, b = halves(articles, args.split_seed)
    done: dict[str, Any] = (json.loads(args.results.read_text("utf-8"))
                            if args.results.exists() else {})
    done["base_model"] = str(base)
    # A rerun skips what the results file holds, so it must hold runs of the same setup.
    setup = {"items": str(args.items) if args.items else "union_press",
             "split_seed": args.split_seed, "desk_weight": args.desk_weight}
    if done.setdefault("setup", setup) != setup:
        raise SystemExit(f"{args.results} holds runs of {done['setup']}, not {setup}: "
                         "give another --results")
    runs = [(r.split(":")[0], int(r.split(":")[1]) if ":" in r else 0)
            for r in args.runs.split(",") if r]
    for direction in args.direction.split(","):
        pool, test = (a, b) if direction == "ab" else (b, a)
        key = f"{direction}/base"
        if key not in done:
            s = evaluate_examples(model, examples_of(test, labels))
            done[key] = {"micro_f1": s["micro_f1"], "macro_f1": s["macro_f1"]}
        for strategy, seed in runs:
            key = f"{direction}/{strategy}/{seed}/n{args.n}"
            if key in done:
                continue
            t0 = time.perf_counter()
            if strategy.startswith("oracle-"):
                items = oracle_picks(pool, labels, model, strategy.split("-", 1)[1], args.n,
                                     seed)
            else:
                picks = rank_articles(pool, model, n=args.n, strategy=strategy, seed=seed,
                                      model_dir=str(base))
                chosen = {p.id for p in picks}
                items = [x for x in pool if x.key in chosen]
            pick_seconds = time.perf_counter() - t0
            result = retrain_score(items, labels, base, test, args.desk_weight)
            result["suggest_seconds"] = round(pick_seconds, 2)
            result["picks"] = [x.key for x in items]
            done[key] = result
            print(key, json.dumps(result), file=sys.stderr, flush=True)
            args.results.write_text(json.dumps(done, indent=1), "utf-8")
    args.results.write_text(json.dumps(done, indent=1), "utf-8")
    print(json.dumps(done, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
