"""Train the shipped default model, reproducibly (seed 0).

    python scripts/train_default.py [--shared ../shared] [--out models/default]

Training data: ``corpus/labels/train.jsonl`` joined by id with
``corpus/peoples_daily/articles.jsonl`` (title + text). The joined JSONL is written to a
temporary directory outside the repository (the corpus must not be copied into it).
No seed-article labels are used.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def join_labels(shared: Path, out: Path) -> int:
    """Write {"id","title","text","labels"} rows for the labelled People's Daily articles."""
    labels = {}
    with (shared / "corpus/labels/train.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row["labels"]
    n = 0
    with (shared / "corpus/peoples_daily/articles.jsonl").open(encoding="utf-8") as f, \
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
        data = Path(tmp) / "peoples_daily_labels.jsonl"
        n = join_labels(args.shared, data)
        print(f"joined {n} labelled articles", file=sys.stderr)
        metrics = train([data], out_dir=args.out, settings=TrainSettings(cv=args.cv, seed=0))
    print(json.dumps(metrics, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
