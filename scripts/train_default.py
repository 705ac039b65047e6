"""Train the shipped default model, reproducibly (seed 0): ``models/default`` is its output.

    python scripts/train_default.py [--shared ../shared] [--out models/default]

Training data (issue 11: both label files):
- ``corpus/labels/train.jsonl`` joined by id with ``corpus/peoples_daily/articles.jsonl``
  (690 People's Daily 2020 articles);
- ``corpus/labels/union_press.jsonl`` joined by id with ``corpus/union_press/articles.jsonl``
  (617 union- and worker-related People's Daily 2023 and CCTV items, 163 with a theme).

The joined JSONL files are written to a temporary directory outside the repository (the
corpus must not be copied into it). No seed-article labels are used. Settings are the
``TrainSettings`` defaults (per-theme combiner shrunk toward the pooled one, thresholds shrunk
toward the pooled one, the term prior in union articles only, calibrated scores) with the
packaged taxonomy; docs/CLASSIFIER.md has the measurements behind them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEOPLES_DAILY = ("corpus/labels/train.jsonl", "corpus/peoples_daily/articles.jsonl")
UNION_PRESS = ("corpus/labels/union_press.jsonl", "corpus/union_press/articles.jsonl")


def join_labels(shared: Path, out: Path, labels_file: str = PEOPLES_DAILY[0],
                articles_file: str = PEOPLES_DAILY[1]) -> int:
    """Write {"id","title","text","labels"} rows for the labelled articles of one corpus
    (default: People's Daily 2020); returns the number of rows."""
    labels = {}
    with (shared / labels_file).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row["labels"]
    n = 0
    with (shared / articles_file).open(encoding="utf-8") as f, \
            out.open("w", encoding="utf-8") as w:
        for line in f:
            art = json.loads(line)
            if art["id"] in labels:
                w.write(json.dumps({"id": art["id"], "title": art["title"], "text": art["text"],
                                    "labels": labels[art["id"]]}, ensure_ascii=False) + "\n")
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "models/default")
    ap.add_argument("--cv", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from classifier.training.trainer import TrainSettings, train

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, (labels_file, articles_file) in (("peoples_daily", PEOPLES_DAILY),
                                                   ("union_press", UNION_PRESS)):
            data = Path(tmp) / f"{name}_labels.jsonl"
            n = join_labels(args.shared, data, labels_file, articles_file)
            print(f"joined {n} labelled {name} articles", file=sys.stderr)
            files.append(data)
        metrics = train(files, out_dir=args.out, settings=TrainSettings(cv=args.cv, seed=0),
                        force=True)
    print(json.dumps(metrics, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
