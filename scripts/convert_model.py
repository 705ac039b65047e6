"""Rewrite a model directory in another format version, keeping every number and decision.

    python scripts/convert_model.py [MODEL_DIR] [--out OUT_DIR] [--format-version 2]

Models of format version 1 (``vocab.json`` + ``arrays.npz``) load as they are; converting one
to version 2 (``words.txt``, ``terms.txt``, ``arrays.safetensors``; see
classifier/model/store.py)
makes it load ~3x faster, which is most of what a one-page ``classifier classify`` waits for
besides imports. ``--format-version 1`` writes a model that packages older than format 2 can
read. Nothing is retrained: the labels, coefficients, thresholds, stored training examples
and every field of meta.json are kept; only ``format_version`` and the file hashes change.
The result is loaded back and checked to hold the same arrays and to score the stored
examples' features the same as the original (or reports what differs and exits 1). MODEL_DIR
defaults to the shipped model, ``default``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def same_array(a: Any, b: Any) -> bool:
    """Both absent, or the same dtype and values."""
    import numpy as np

    if a is None or b is None:
        return a is None and b is None
    return bool(a.dtype == b.dtype and np.array_equal(a, b))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default="default",
                    help="model directory or name under models/ (default: default)")
    ap.add_argument("--out", type=Path, help="where to write it (default: in place)")
    ap.add_argument("--format-version", type=int, default=None,
                    help="format to write (default: the newest this package writes)")
    args = ap.parse_args()
    import numpy as np

    from classifier.model.store import (
        FORMAT_VERSION,
        load_examples,
        load_model,
        resolve_model_dir,
        save_model,
    )

    src = resolve_model_dir(args.model)
    version = args.format_version or FORMAT_VERSION
    model = load_model(src)
    examples = load_examples(src)
    before = model.meta.get("format_version")
    out = save_model(model, args.out or src, examples, replace=True, format_version=version)
    again = load_model(out)
    # Same arrays and vocabularies, so the same scores for any input: checked on the stored
    # examples' feature rows (no text needed).
    x = again.features.weigh(examples.counts)
    arrays: list[tuple[np.ndarray | None, np.ndarray | None]] = [
        (again.coef, model.coef), (again.intercept, model.intercept),
        (again.combiner, model.combiner), (again.thresholds, model.thresholds),
        (again.prior_mask, model.prior_mask), (again.theme_combiner, model.theme_combiner),
        (again.features.word_idf, model.features.word_idf),
        (again.features.char_idf, model.features.char_idf)]
    same = (all(same_array(a, b) for a, b in arrays)
            and again.features.word_vocab == model.features.word_vocab
            and again.features.char_vocab == model.features.char_vocab
            and again.terms == model.terms
            and np.array_equal(again.linear_scores(x), model.linear_scores(x)))
    kept = {k: v for k, v in again.meta.items() if k not in ("files", "format_version")} == {
        k: v for k, v in model.meta.items() if k not in ("files", "format_version")}
    print(json.dumps({"model": str(src), "out": str(out), "format_version": [before, version],
                      "same_scores": same, "same_meta": kept}, ensure_ascii=False, indent=1))
    if not (same and kept):
        sys.exit(1)


if __name__ == "__main__":
    main()
