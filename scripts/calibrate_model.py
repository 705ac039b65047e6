"""Move every theme's decision point of a trained model to 0.5, keeping every decision.

    python scripts/calibrate_model.py MODEL_DIR [--out OUT_DIR]

Models trained by ``classifier train`` are calibrated already (``--calibrate``, the default);
this converts a model trained before calibration existed, with its stored training examples,
so that ``train --base`` keeps working on it. The shipped default model is the People's Daily
model of the previous release converted this way (docs/CLASSIFIER.md says why it was kept).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--out", type=Path, help="where to write it (default: in place)")
    args = ap.parse_args()
    from classifier.model.store import load_examples, load_model, save_model
    from classifier.training.trainer import calibrate_model

    model = load_model(args.model)
    examples = load_examples(args.model)
    out = args.out or args.model
    save_model(calibrate_model(model), out, examples, replace=True)
    check = load_model(out)
    print(json.dumps({"out": str(out), "thresholds": sorted(set(check.thresholds.tolist())),
                      "tuned_thresholds": check.meta["training"]["tuned_thresholds"]},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
