"""Commands about models: ``train``, ``evaluate``, ``models``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from classifier.cli.common import ModelOpt, fail
from classifier.errors import ClassifierError

__all__ = ["evaluate", "models", "train"]


def train(
    data: Annotated[
        list[str],
        typer.Argument(help="Labelled files: JSONL {text, labels}, doccano JSONL, Label Studio "
                            "JSON export, or CSV (text, labels separated by ; or |)."),
    ],
    out: Annotated[str, typer.Option(
        "--out", "-o", help="Folder to write the model to: a new or empty folder, or an "
                            "existing model with --force.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the model already at --out.")
    ] = False,
    taxonomy: Annotated[
        str | None,
        typer.Option("--taxonomy", help="Taxonomy JSON (default: the packaged one)."),
    ] = None,
    cv: Annotated[
        int, typer.Option("--cv", min=0, help="Cross-validation folds (0 = none; else >= 2).")
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Retrain on this model's stored examples plus DATA."),
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed rows instead of failing.")
    ] = False,
    estimator: Annotated[
        str, typer.Option("--estimator", help="Per-label linear model: logreg, sgd, svm or nbsvm "
                                             "(LinearSVC on NB log-count-ratio scaled features).")
    ] = "logreg",
    c: Annotated[
        float, typer.Option("--c", min=0.0, help="Inverse regularization (svm uses C/20).")
    ] = 10.0,
    char_hi: Annotated[
        int, typer.Option("--char-hi", min=1, help="Longest character n-gram (with --base: "
                                                 "the base's).")
    ] = 2,
    min_df: Annotated[
        int, typer.Option("--min-df", min=1, help="Keep terms seen in at least this many rows.")
    ] = 2,
    word_weight: Annotated[
        float, typer.Option("--word-weight", min=0.0, help="Weight of the word block.")
    ] = 1.0,
    read_chars: Annotated[
        int, typer.Option(
            "--read-chars", min=0,
            help="Read only the first N characters of each text (0 = all). 1800 is what the "
                 "annotators of the default model's labels read (docs/CLASSIFIER.md). With "
                 "--base: the base's, which counted its stored examples so.")
    ] = 1800,
    desk_weight: Annotated[
        float, typer.Option(
            "--desk-weight",
            help="With --base: training weight of each example in DATA, where a base example "
                 "weighs 1 (above 1, a desk's own corrections count more than the base examples "
                 "beside them). Must be > 0 and <= 1000. Measured on held-out union news, 1 "
                 "did best (2, 4 were worse: docs/CLASSIFIER.md).")
    ] = 1.0,
    combiner: Annotated[
        str, typer.Option(
            "--combiner",
            help="How model scores and taxonomy-term evidence combine: 'theme' (one "
                 "combination per theme, pulled toward the shared one by --shrink) or "
                 "'pooled' (one shared by all themes).")
    ] = "theme",
    shrink: Annotated[
        float, typer.Option(
            "--shrink",
            help="With --combiner theme: how strongly each theme's combination is pulled "
                 "toward the shared one (> 0; larger = closer to shared).")
    ] = 3.0,
    calibrate: Annotated[
        bool, typer.Option(
            "--calibrate/--no-calibrate",
            help="Shift each theme's score so that its tuned threshold becomes 0.5 (every "
                 "theme is assigned at score >= 0.5; needs --cv >= 2).")
    ] = True,
    threshold_shrink: Annotated[
        float, typer.Option(
            "--threshold-shrink", min=0.0,
            help="Pull each theme's tuned threshold toward the threshold best for all themes "
                 "together, as if this many positives had voted for it (0 = each theme keeps "
                 "its own; themes with few examples move most).")
    ] = 30.0,
    context_min: Annotated[
        int, typer.Option(
            "--context-min", min=0,
            help="The taxonomy-term prior (for themes with few examples) applies only to "
                 "articles where 工会 and 职工 occur at least this many times in all (0 = "
                 "every article).")
    ] = 3,
) -> None:
    """Train a theme model and print its metrics as JSON.

    **Examples**

    ```
    classifier train my_labels.jsonl --out models/desk-2025
    classifier train corrections.jsonl --base models/default --out models/desk-2025
    ```
    """
    import logging

    from classifier.training.trainer import train as train_model

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="warning: %(message)s")
    try:
        base_dir = None
        if base is not None:
            from classifier.model.store import resolve_model_dir

            base_dir = resolve_model_dir(base)
        from classifier.features.space import FeatureSettings
        from classifier.training.trainer import TrainSettings

        settings = TrainSettings(cv=cv, seed=seed, estimator=estimator, c=c,
                                 features=FeatureSettings(char_hi=char_hi, min_df=min_df,
                                                          word_weight=word_weight,
                                                          read_chars=read_chars),
                                 desk_weight=desk_weight, combiner=combiner, shrink=shrink,
                                 calibrate=calibrate, threshold_shrink=threshold_shrink,
                                 context_min=context_min)
        metrics = train_model(data, out_dir=out, settings=settings, taxonomy=taxonomy,
                              base=base_dir, skip_bad=skip_bad, force=force)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n")


def evaluate(
    data: Annotated[str, typer.Argument(help="A labelled file (any format `train` reads).")],
    model: ModelOpt = "default",
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip and count malformed rows instead of failing.")
    ] = False,
) -> None:
    """Score a model on labelled data: n, micro/macro F1, per-label P/R/F1 (JSON).

    **Example**

    ```
    classifier evaluate held_out.jsonl --model models/desk-2025
    ```
    """
    from classifier.training.evaluation import evaluate as evaluate_model

    try:
        result = evaluate_model(data, model=model, skip_bad=skip_bad)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")


def models(
    directory: Annotated[
        str | None,
        typer.Option("--dir", help="Directory holding model directories (default: models/)."),
    ] = None,
) -> None:
    """List the models under models/ with their labels, training size and metrics (JSON).

    **Example**

    ```
    classifier models --dir models
    ```
    """
    from classifier.model.catalog import list_models

    try:
        found = list_models(directory)
    except ClassifierError as exc:
        fail(exc)
    sys.stdout.write(json.dumps({"models": found}, ensure_ascii=False, indent=1) + "\n")
