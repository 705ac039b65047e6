"""Default model vs a plain baseline on the same cross-validation folds.

    python bench/bench_default_cv.py [--shared ../shared]

Baseline (issue 3): jieba words + scikit-learn TfidfVectorizer + OneVsRest LogisticRegression,
threshold 0.5. Folds: ``classifier.metrics.make_folds`` with seed 0, as ``train`` uses. The
default model's numbers are its stored ``cv_metrics`` (nested threshold tuning).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default="default")
    args = ap.parse_args()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from train_default import join_labels

    from classifier.datasets import read_examples
    from classifier.metrics import make_folds, report
    from classifier.persist import load_model
    from classifier.tokens import load_jieba_reference

    model = load_model(args.model)
    labels = model.labels
    tok = load_jieba_reference()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pd.jsonl"
        join_labels(args.shared, data)
        examples, _ = read_examples(data)
    y = np.asarray([[lab in ex.labels for lab in labels] for ex in examples], dtype=np.int8)
    folds = make_folds(y, 5, 0)
    docs = [ex.title + "\n" + ex.text for ex in examples]
    proba = np.zeros(y.shape)
    for k in range(5):
        tr, te = folds != k, folds == k
        vec = TfidfVectorizer(tokenizer=tok.lcut, token_pattern=None, lowercase=False)
        xtr = vec.fit_transform([d for d, m in zip(docs, tr, strict=True) if m])
        xte = vec.transform([d for d, m in zip(docs, te, strict=True) if m])
        cols = [j for j in range(len(labels)) if y[tr, j].any()]
        clf = OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(xtr, y[tr][:, cols])
        proba[np.ix_(te, cols)] = clf.predict_proba(xte)
    base = report(y, proba >= 0.5, labels)
    ours = model.meta["cv_metrics"]
    rows = {lab: {"baseline": base["per_label"][lab], "default": ours["per_label"][lab]}
            for lab in labels}
    print(json.dumps({"baseline": {k: base[k] for k in ("micro_f1", "macro_f1")},
                      "default": {k: ours[k] for k in ("micro_f1", "macro_f1")},
                      "per_label": rows}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
