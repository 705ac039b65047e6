"""THUCNews title classification: train on train_subset.txt, report top-1 accuracy on test.txt.

    python bench/bench_thucnews.py [--shared ../shared] [--cv 0] [--c 10] [--split dev|test]

Chosen setting (on dev; test 0.905): ``--estimator nbsvm --c 6 --char-hi 3 --min-df 1
--word-weight 0.6``. Choose settings with ``--split dev``; run test once.

Converts the data to JSONL (in a temporary directory), runs
``classifier.training.trainer.train`` (single
label per example; the taxonomy does not apply, so no term evidence), predicts test.txt with
``ThemeModel.predict_proba_many`` and reports accuracy, training time and prediction speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def to_jsonl(src: Path, classes: list[str], out: Path) -> int:
    n = 0
    with src.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
        for line in f:
            title, _, lab = line.rstrip("\n").rpartition("\t")
            if title:
                w.write(json.dumps({"id": f"{src.name}:{n}", "text": title,
                                    "labels": [classes[int(lab)]]}, ensure_ascii=False) + "\n")
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cv", type=int, default=0)
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--estimator", default="logreg")
    ap.add_argument("--char-hi", type=int, default=2)
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--word-weight", type=float, default=1.0)
    # Choose settings on dev.txt; report test.txt once for the chosen setting.
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    args = ap.parse_args()
    from classifier.features.space import FeatureSettings
    from classifier.model.store import load_model
    from classifier.training.trainer import TrainSettings, train

    d = args.shared / "corpus/thucnews"
    classes = (d / "class.txt").read_text("utf-8").split()
    with tempfile.TemporaryDirectory() as tmp:
        tr = Path(tmp) / "train.jsonl"
        n_train = to_jsonl(d / "train_subset.txt", classes, tr)
        t0 = time.perf_counter()
        settings = TrainSettings(cv=args.cv, seed=0, estimator=args.estimator, c=args.c,
                                 features=FeatureSettings(char_hi=args.char_hi,
                                                          min_df=args.min_df,
                                                          word_weight=args.word_weight))
        metrics = train([tr], out_dir=Path(tmp) / "model", settings=settings)
        train_s = time.perf_counter() - t0
        model = load_model(Path(tmp) / "model")
        rows = [line.rstrip("\n").rpartition("\t") for line in
                (d / f"{args.split}.txt").open(encoding="utf-8")]
        items = [("", r[0]) for r in rows]
        gold = np.asarray([int(r[2]) for r in rows])
        t0 = time.perf_counter()
        proba, _ = model.predict_proba_many(items)
        pred_s = time.perf_counter() - t0
    label_of = {lab: j for j, lab in enumerate(model.labels)}
    to_class = np.asarray([classes.index(lab) for lab in model.labels])
    acc = float((to_class[proba.argmax(1)] == gold).mean())
    chars = sum(len(t) for _, t in items)
    out = {"train_examples": n_train, "split": args.split, "eval_examples": len(items),
           "top1_accuracy": round(acc, 4),
           "train_seconds": round(train_s, 1), "predict_seconds": round(pred_s, 2),
           "predict_titles_per_s": round(len(items) / pred_s), "predict_chars_per_s":
           round(chars / pred_s), "estimator": args.estimator, "C": args.c, "cv": args.cv,
           "char_hi": args.char_hi, "min_df": args.min_df, "word_weight": args.word_weight,
           "cv_top1": metrics["cv"].get("top1_accuracy"), "n_labels": len(label_of),
           "features": [metrics["training"]["n_word_features"],
                        metrics["training"]["n_char_features"]]}
    print(json.dumps(out, ensure_ascii=False), file=sys.stdout)


if __name__ == "__main__":
    main()
