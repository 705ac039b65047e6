"""Training data readers, train/evaluate, --base retraining and the CLI commands."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import DataError, OptionError
from classifier.features.space import FeatureSettings, FeatureSpace, compose
from classifier.model.store import load_examples, load_model
from classifier.model.theme_model import ThemeModel
from classifier.training.datasets import read_examples
from classifier.training.evaluation import evaluate
from classifier.training.trainer import TrainSettings, calibrated, train
from tests.classifier_fixtures import copy_model, make_rows, rehash, write_jsonl

runner = CliRunner()


def test_read_jsonl_doccano_studio_csv(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    a.write_text('{"id": "x1", "title": "T", "text": "正文", "labels": ["union_building"]}\n\n'
                 '{"text": "doccano", "label": ["women_family", "women_family"]}\n', "utf-8")
    ex, bad = read_examples(a)
    assert bad == 0 and [e.labels for e in ex] == [("union_building",), ("women_family",)]
    assert ex[0].id == "x1" and ex[0].title == "T" and ex[1].id == f"{a}:3"
    s = tmp_path / "studio.json"
    s.write_text(json.dumps([{"id": 7, "data": {"text": "文本"}, "annotations": [{"result": [
        {"type": "choices", "value": {"choices": ["workers_culture"]}}]}]}]), "utf-8")
    (e,) = read_examples(s)[0]
    assert e.id == "7" and e.labels == ("workers_culture",)
    c = tmp_path / "d.csv"
    c.write_text("text,labels\n甲文,skills_training;skills_competition\n乙文,a|b\n丙文,\n",
                 "utf-8")
    rows = read_examples(c)[0]
    assert [r.labels for r in rows] == [("skills_training", "skills_competition"), ("a", "b"),
                                        ()]


@pytest.mark.parametrize("content,where", [
    ('{"text": "ok", "labels": []}\n{"text": 5, "labels": []}\n', ":2"),
    ('{"text": "ok", "labels": []}\nnot json\n', ":2: invalid JSON"),
    ('{"text": "ok"}\n', ":1: no 'labels'"),
    ('{"text": "ok", "labels": [1]}\n', ":1: labels must be"),
])
def test_bad_row_names_file_and_line(tmp_path: Path, content: str, where: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(content, "utf-8")
    with pytest.raises(DataError, match=str(p).replace("\\", "\\\\") + where):
        read_examples(p)
    ex, bad = read_examples(p, skip_bad=True)
    assert bad == 1 and len(ex) == content.count("\n") - 1


def test_bad_label_studio_task_names_its_number(tmp_path: Path) -> None:
    good = {"data": {"text": "文本"}, "annotations": [{"result": [
        {"type": "choices", "value": {"choices": ["workers_culture"]}}]}]}
    p = tmp_path / "studio.json"
    p.write_text(json.dumps([good, {"data": {}}, good]), "utf-8")
    with pytest.raises(DataError, match=r"studio\.json:task 2"):
        read_examples(p)
    examples, bad = read_examples(p, skip_bad=True)
    assert bad == 1 and len(examples) == 2


def test_bad_csv(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("text,labels\n好,x\n坏,x,extra\n", "utf-8")
    with pytest.raises(DataError, match=r"bad\.csv:3"):
        read_examples(p)
    assert read_examples(p, skip_bad=True)[1] == 1
    (tmp_path / "nolab.csv").write_text("text\n好\n", "utf-8")
    with pytest.raises(DataError, match="'text' and 'labels'"):
        read_examples(tmp_path / "nolab.csv")


def test_tiny_model_metrics(tiny_model: Path) -> None:
    meta = load_model(tiny_model).meta
    cv = meta["cv_metrics"]
    assert cv["folds"] == 3 and cv["micro_f1"] > 0.8
    assert meta["training"]["n_examples"] == len(make_rows())


def test_evaluate_keys(tiny_model: Path, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "ev.jsonl", make_rows(seed=5, per_theme=2, negatives=4))
    out = evaluate(data, model=tiny_model)
    assert {"n", "micro_f1", "macro_f1", "per_label"} <= out.keys()
    assert out["n"] == 13 * 2 + 4
    assert out["per_label"]["hardship_relief"].keys() == {"precision", "recall", "f1",
                                                          "support"}
    assert "top1_accuracy" not in out  # some examples have no label
    single = write_jsonl(tmp_path / "single.jsonl", make_rows(seed=6, per_theme=2, negatives=0))
    assert 0.0 <= evaluate(single, model=tiny_model)["top1_accuracy"] <= 1.0


def test_unknown_label_warns_and_is_learned(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    rows = make_rows(per_theme=2, negatives=6)
    extra = [{"id": f"new-{i}", "title": "", "text": "无人机表演点亮夜空，灯光秀吸引市民。",
              "labels": ["drone_show"]} for i in range(3)]
    data = write_jsonl(tmp_path / "d.jsonl", rows + extra)
    with caplog.at_level(logging.WARNING):
        train([data], out_dir=tmp_path / "m", settings=TrainSettings(cv=0))
    assert "drone_show" in caplog.text
    model = load_model(tmp_path / "m")
    assert model.labels[-1] == "drone_show"
    assert model.meta["training"]["examples_per_label"]["drone_show"] == 3


def test_base_retrain_keeps_and_replaces(tiny_model: Path, tmp_path: Path) -> None:
    base_ex = load_examples(tiny_model)
    relabel = base_ex.ids[0]
    new = [{"id": relabel, "title": "职工书屋", "text": "职工书屋举办读书分享会，书香满园。",
            "labels": ["workers_culture"]},
           {"id": "brand-new", "title": "", "text": "女职工权益保护专项集体合同签订。",
            "labels": ["women_family", "rights_protection"]}]
    data = write_jsonl(tmp_path / "new.jsonl", new)
    result = train([data], out_dir=tmp_path / "m2", base=tiny_model,
                   settings=TrainSettings(cv=3))
    stored = load_examples(tmp_path / "m2")
    assert len(stored.ids) == len(base_ex.ids) + 1
    assert set(base_ex.ids) <= set(stored.ids) and "brand-new" in stored.ids
    assert stored.labels[stored.ids.index(relabel)] == ["workers_culture"]
    assert stored.ids.count(relabel) == 1
    assert result["training"]["n_from_base"] == len(base_ex.ids) - 1
    comp = result["base_comparison"]
    assert comp["new_data"]["base"]["n"] == comp["new_data"]["new"]["n"] == 2
    assert comp["base_cv"]["micro_f1"] is not None
    # the new examples alone, out of fold (what the review page reports after a retrain)
    assert result["cv"]["new_examples"]["n"] == 2
    # The base examples keep their union-article counts (context columns are term columns).
    retrained, base_model = load_model(tmp_path / "m2"), load_model(tiny_model)
    assert [retrained.terms[c] for c in retrained.context_columns] == ["工会", "职工"]
    old_union = int(base_model.meta["training"]["union_articles"])
    assert retrained.meta["training"]["union_articles"] >= old_union - 1 > 0


def test_cli_train_and_evaluate(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", make_rows(per_theme=2, negatives=6))
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--cv", "0"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["training"]["n_examples"] == 13 * 2 + 6
    res = runner.invoke(app, ["evaluate", str(data), "--model", str(tmp_path / "m")])
    assert res.exit_code == 0 and json.loads(res.stdout)["n"] == 32
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", "utf-8")
    res = runner.invoke(app, ["train", str(bad), "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "bad.jsonl:1" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "x").exists()
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "x"), "--cv", "1"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["evaluate", str(data), "--model", "no-such-model"])
    assert res.exit_code == 1 and "not found" in res.stderr


def test_nb_ratios_favour_terms_of_the_positive_class() -> None:
    import numpy as np
    import scipy.sparse as sp

    from classifier.training.fitting import nb_ratios

    x = sp.csr_matrix(np.array([[0.5, 0.0, 0.2], [0.9, 0.0, 0.1], [0.0, 0.7, 0.3]]))
    r = nb_ratios(x, np.array([1, 1, 0]), np.ones(3))
    assert r[0] > 0 > r[1]  # only in positives / only in negatives
    # column 2 is in every row: smoothed shares 3/7 (positives) vs 2/5 (negatives)
    assert abs(r[2] - np.log((3 / 7) / (2 / 5))) < 1e-12


def test_nbsvm_coef_reproduces_the_scaled_fit() -> None:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.svm import LinearSVC

    from classifier.training.fitting import fit_linear, nb_ratios

    rng = np.random.default_rng(0)
    x = sp.random(40, 12, density=0.3, format="csr", random_state=1)
    y = (rng.random((40, 1)) < 0.4).astype(np.int8)
    coef, icpt = fit_linear(x, y, np.ones(40), estimator="nbsvm", c=20.0, seed=0)
    r = nb_ratios(x, y[:, 0].astype(int), np.ones(40))
    ref = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(x @ sp.diags(r), y[:, 0])
    # The stored linear model scores raw features exactly like the model fitted on scaled ones.
    np.testing.assert_allclose(x @ coef[0] + icpt[0], ref.decision_function(x @ sp.diags(r)),
                               atol=1e-9)


def test_cli_train_estimator_and_feature_options(tmp_path: Path) -> None:
    from classifier.features.space import FeatureSettings

    data = write_jsonl(tmp_path / "d.jsonl", make_rows(per_theme=2, negatives=6))
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--cv", "0",
                              "--estimator", "nbsvm", "--c", "40", "--char-hi", "3",
                              "--min-df", "1", "--word-weight", "0.6", "--read-chars", "0"])
    assert res.exit_code == 0, res.output
    model = load_model(tmp_path / "m")
    assert model.features.settings == FeatureSettings(char_hi=3, min_df=1, word_weight=0.6,
                                                      read_chars=0)
    assert model.meta["training"]["estimator"] == "nbsvm" and model.meta["training"]["C"] == 40
    assert any(len(t) == 3 for t in model.features.char_vocab)
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "x"), "--cv", "0",
                              "--estimator", "forest"])
    assert res.exit_code == 2 and "'forest'" in res.stderr and "nbsvm" in res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "x").exists()


# -- issue 11: labels without terms, desk weight, new themes, calibrated scores ---------------

def test_label_set_without_taxonomy_terms_trains_and_predicts(tmp_path: Path) -> None:
    rows = [{"id": f"t{i}", "text": text, "labels": [lab]}
            for i, (text, lab) in enumerate(
                [("股市大涨券商板块领涨", "财经"), ("央行降准释放流动性", "财经"),
                 ("楼市成交量回升房价企稳", "房产"), ("二手房挂牌量增加", "房产"),
                 ("国足客场战平对手", "体育"), ("篮球联赛季后赛开打", "体育")] * 3)]
    data = write_jsonl(tmp_path / "thuc.jsonl", rows)
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--cv", "3"])
    assert res.exit_code == 0, res.output
    model = load_model(tmp_path / "m")
    assert model.terms == [] and sorted(model.labels) == ["体育", "房产", "财经"]
    (pred,) = model.predict_many([("", "房价企稳成交回升")])
    assert max(pred.scores, key=pred.scores.__getitem__) == "房产"


def test_desk_weight_is_validated(tmp_path: Path) -> None:
    for bad in (0.0, -1.0, 1001.0, float("nan")):
        with pytest.raises(OptionError, match="desk_weight"):
            TrainSettings(desk_weight=bad)
    data = write_jsonl(tmp_path / "d.jsonl", make_rows(per_theme=2, negatives=6))
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"),
                              "--desk-weight", "0"])
    assert res.exit_code == 2 and "desk_weight" in res.stderr and "got 0.0" in res.stderr
    assert not (tmp_path / "m").exists()
    with pytest.raises(OptionError, match="shrink"):
        TrainSettings(shrink=0)
    with pytest.raises(OptionError, match="combiner"):
        TrainSettings(combiner="max")


def test_desk_weight_is_stored_with_the_examples(tiny_model: Path, tmp_path: Path) -> None:
    new = [{"id": f"desk-{i}", "title": "职工书屋", "text": "职工书屋举办读书分享会。",
            "labels": ["workers_culture"]} for i in range(3)]
    data = write_jsonl(tmp_path / "new.jsonl", new)
    result = train([data], out_dir=tmp_path / "m", base=tiny_model,
                   settings=TrainSettings(cv=3, desk_weight=3.0))
    assert result["training"]["desk_weight"] == 3.0
    stored = load_examples(tmp_path / "m")
    n_base = len(load_examples(tiny_model).ids)
    assert stored.weights is not None and stored.weights.shape == (n_base + 3,)
    assert (stored.weights[:n_base] == 1.0).all() and (stored.weights[n_base:] == 3.0).all()
    # A retrain on top keeps the stored weights of the earlier desk examples.
    again = write_jsonl(tmp_path / "again.jsonl", [{"id": "x", "text": "劳模座谈会。",
                                                    "labels": ["model_workers_craftsmen"]}])
    train([again], out_dir=tmp_path / "m2", base=tmp_path / "m",
          settings=TrainSettings(cv=3, desk_weight=2.0))
    stored2 = load_examples(tmp_path / "m2")
    assert stored2.weights is not None
    assert stored2.weights.tolist()[n_base:] == [3.0, 3.0, 3.0, 2.0]


def _desk_rows(seed: int) -> list[dict[str, object]]:
    return [dict(r, id=f"desk-{seed}-{i}")
            for i, r in enumerate(make_rows(seed=seed, per_theme=1, negatives=4))]


def test_base_retrain_keeps_the_base_folds_and_ignores_line_order(tiny_model: Path,
                                                                  tmp_path: Path) -> None:
    # The base's examples stay in the folds the base was trained with; the corrections are
    # folded among themselves in id order: the same corrections in another order give the
    # same model, and adding them does not reshuffle the CV every threshold is tuned on.
    base = load_examples(tiny_model)
    n = len(base.ids)
    assert base.folds is not None and sorted(set(base.folds.tolist())) == [0, 1, 2]
    rows = _desk_rows(5)
    train([write_jsonl(tmp_path / "a.jsonl", rows)], out_dir=tmp_path / "m1",
          base=tiny_model, settings=TrainSettings(cv=3))
    train([write_jsonl(tmp_path / "b.jsonl", rows[::-1])], out_dir=tmp_path / "m2",
          base=tiny_model, settings=TrainSettings(cv=3))
    stored = load_examples(tmp_path / "m1")
    assert stored.folds is not None and stored.folds[:n].tolist() == base.folds.tolist()
    assert stored.ids[n:] == sorted(str(r["id"]) for r in rows)
    for name in ("arrays.safetensors", "words.txt", "examples.npz", "examples.json"):
        assert (tmp_path / "m1" / name).read_bytes() == (tmp_path / "m2" / name).read_bytes()


def test_a_base_saved_without_folds_gets_them_back_from_its_examples(
        tiny_model: Path, tmp_path: Path) -> None:
    # Models saved before folds were stored (the shipped default among them): the base's
    # examples are folded as the base's own training folded them, whatever is added.
    root = copy_model(tiny_model, tmp_path / "old")
    with np.load(root / "examples.npz") as z:
        arrays = {k: z[k] for k in z.files if k != "fold"}
    np.savez_compressed(root / "examples.npz", **arrays)
    rehash(root, "examples.npz")
    assert load_examples(root).folds is None
    folds = []
    for seed in (5, 6):
        out, rows = tmp_path / f"m{seed}", _desk_rows(seed)
        train([write_jsonl(tmp_path / f"d{seed}.jsonl", rows)], out_dir=out, base=root,
              settings=TrainSettings(cv=3))
        stored = load_examples(out)
        assert stored.folds is not None
        folds.append(stored.folds[:len(stored.ids) - len(rows)].tolist())
    base = load_examples(tiny_model)
    assert base.folds is not None and folds[0] == folds[1] == base.folds.tolist()


def test_new_theme_is_not_penalized_by_base_examples(tiny_model: Path, tmp_path: Path) -> None:
    # The base examples were never judged for a theme the base model never had: they are
    # neither its positives nor its negatives (judged mask), and the theme is learned from
    # the desk's examples (the effect on real data: docs/CLASSIFIER.md).
    base = load_examples(tiny_model)
    n_base = len(base.ids)
    texts = ["职工读书会分享好书，书友交流阅读心得。", "读书会举办好书分享，职工书友畅谈阅读。",
             "书友读书会推荐好书，阅读分享氛围浓厚。", "职工书友在读书会上分享阅读感悟。"]
    new = [{"id": f"club-{i}", "title": "读书会", "text": texts[i % 4],
            "labels": ["book_club"]} for i in range(12)]
    new += [{"id": f"other-{i}", "title": "新闻", "text": "股市行情平稳，成交量放大。",
             "labels": []} for i in range(6)]
    data = write_jsonl(tmp_path / "new.jsonl", new)
    train([data], out_dir=tmp_path / "m", base=tiny_model, settings=TrainSettings(cv=3))
    stored = load_examples(tmp_path / "m")
    model = load_model(tmp_path / "m")
    j = model.labels.index("book_club")
    assert stored.judged is not None
    assert not stored.judged[:n_base, j].any() and stored.judged[n_base:, j].all()
    assert stored.judged[:, :j].all()  # base themes: judged everywhere
    assert model.meta["training"]["judged_examples_per_label"]["book_club"] == len(new)
    preds = model.predict_many([("读书会", "职工书友读书会分享好书。"),
                                ("", "书友们在读书会交流阅读。")])
    assert all("book_club" in p.labels for p in preds)


def test_calibrated_scores_put_every_threshold_at_half(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    assert model.meta["training"]["calibrated"] is True
    assert (model.thresholds == 0.5).all()
    tuned = model.meta["training"]["tuned_thresholds"]
    assert set(tuned) == set(model.labels) and len(set(tuned.values())) > 1
    (pred,) = model.predict_many([("夏送清凉", "市总工会开展夏送清凉活动，送去慰问品。")])
    assert pred.labels and all(pred.scores[lab] >= 0.5 for lab in pred.labels)
    assert all(s < 0.5 for lab, s in pred.scores.items() if lab not in pred.labels)


def test_calibration_keeps_every_decision() -> None:
    rng = np.random.default_rng(0)
    n_labels = 5
    combiner = np.r_[rng.normal(size=5), rng.normal(size=4)]
    thresholds = rng.uniform(0.06, 0.9, n_labels)
    theme, half = calibrated(combiner, None, thresholds)
    assert theme.shape == (n_labels, 9) and (half == 0.5).all()
    space = FeatureSpace(FeatureSettings(), [], [], np.ones(0), np.ones(0))

    def shell(tc: np.ndarray | None) -> ThemeModel:
        return ThemeModel(labels=[f"l{j}" for j in range(n_labels)], names={}, features=space,
                          coef=np.zeros((n_labels, 0)), intercept=np.zeros(n_labels),
                          combiner=combiner, thresholds=thresholds, terms=[],
                          term_groups=[[] for _ in range(n_labels)],
                          prior_mask=np.arange(n_labels) % 2 == 0, theme_combiner=tc)

    margins = rng.normal(scale=3, size=(400, n_labels))
    lex = rng.uniform(0, 2, size=(400, n_labels, 3))
    before = shell(None).combine(margins, lex) >= thresholds
    after = shell(theme).combine(margins, lex) >= 0.5
    assert (before == after).all()


def test_threshold_shrink_pulls_few_example_themes_toward_the_pooled_threshold() -> None:
    from classifier.training.metrics import best_threshold, tune_thresholds

    rng = np.random.default_rng(3)
    n = 400
    y = np.zeros((n, 2), dtype=np.int64)
    y[:200, 0] = 1  # a theme with 200 positives
    y[200:210, 1] = 1  # a theme with 10 positives
    p = rng.uniform(0.0, 0.6, size=(n, 2))
    p[:200, 0] += 0.35
    p[200:210, 1] = rng.uniform(0.85, 0.95, size=10)  # its own best threshold is high
    own = tune_thresholds(y, p, shrink=0.0)
    pooled = best_threshold(y.ravel(), p.ravel())
    assert own[1] > 0.6 and pooled < own[1] - 0.05
    for strength in (1.0, 10.0, 100.0):
        got = tune_thresholds(y, p, shrink=strength)
        lo0, hi0 = sorted((own[0], pooled))
        lo1, hi1 = sorted((own[1], pooled))
        assert lo0 - 1e-12 <= got[0] <= hi0 + 1e-12 and lo1 <= got[1] <= hi1
        # The theme with 10 positives moves further (in log-odds share) than the one with 200.
        share = [abs(got[j] - own[j]) / max(abs(pooled - own[j]), 1e-9) for j in (0, 1)]
        assert share[1] > share[0] or own[0] == pooled
    weak, strong = tune_thresholds(y, p, shrink=1.0), tune_thresholds(y, p, shrink=100.0)
    assert abs(strong[1] - pooled) < abs(weak[1] - pooled)
    # 0 keeps each theme's own threshold exactly (models trained before the option agree).
    assert np.array_equal(own, np.asarray([best_threshold(y[:, j], p[:, j]) for j in (0, 1)]))


def test_threshold_shrink_is_validated_and_stored(tmp_path: Path) -> None:
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(OptionError, match="threshold_shrink"):
            TrainSettings(threshold_shrink=bad)
    data = write_jsonl(tmp_path / "d.jsonl", make_rows(per_theme=6, negatives=12))
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--cv", "2",
                              "--threshold-shrink", "4"])
    assert res.exit_code == 0, res.stderr
    meta = json.loads((tmp_path / "m" / "meta.json").read_text("utf-8"))
    assert meta["training"]["threshold_shrink"] == 4.0
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m2"),
                              "--threshold-shrink", "-1"])
    assert res.exit_code == 2 and not (tmp_path / "m2").exists()


def test_term_prior_applies_only_to_union_articles(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    context = model.meta["term_context"]
    assert [model.terms[c] for c in context["columns"]] == ["工会", "职工"]
    assert context["min"] == 3 and model.prior_mask.any()
    culture = "文艺演出、职工运动会和读书分享会在工人文化宫举行，书香满园，文体活动丰富。"
    plain = ("", culture.replace("职工", ""))
    union = ("", "区总工会为职工举办" + culture + "工会负责人说，职工很喜欢。")
    for title, text in (plain, union):
        docs = [compose(title, text, model.features.settings.title_weight)[0]]
        lex, gate = model.lexicon(docs, [title])
        margins = model.linear_scores(model.features.transform(docs))
        with_prior = model.combine(margins, lex, np.ones(1))
        without = model.combine(margins, lex, np.zeros(1))
        got = model.predict_proba_many([(title, text)])[0]
        assert np.array_equal(got, with_prior if text is union[1] else without)
        if text is union[1]:
            assert gate.tolist() == [1.0]
            # Here the prior lifts some few-example theme above the linear score alone.
            assert (with_prior > without + 1e-9).any()
        else:
            assert gate.tolist() == [0.0]


def test_bad_term_context_is_a_model_error(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    from classifier.errors import ModelError

    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    meta = json.loads((copy / "meta.json").read_text("utf-8"))
    meta["term_context"] = {"columns": [10**6], "min": 3}
    (copy / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    with pytest.raises(ModelError, match="term_context"):
        load_model(copy)


@pytest.mark.parametrize("yields", [["worker_welfare"], {"worker_welfare": ["nosuch"]},
                                    {"nosuch": ["worker_welfare"]},
                                    {"worker_welfare": "hardship_relief"},
                                    {"worker_welfare": ["worker_welfare"]}])
def test_bad_yields_are_a_model_error(tiny_model: Path, tmp_path: Path, yields: Any) -> None:
    import shutil

    from classifier.errors import ModelError

    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    meta = json.loads((copy / "meta.json").read_text("utf-8"))
    meta["yields"] = yields
    (copy / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    with pytest.raises(ModelError, match="yields"):
        load_model(copy)


def test_cli_train_defaults_are_the_library_defaults() -> None:
    import inspect

    from classifier.cli.training import train as cli_train

    defaults = TrainSettings()
    params = inspect.signature(cli_train).parameters
    for name in ("cv", "seed", "estimator", "c", "desk_weight", "combiner", "shrink",
                 "calibrate", "threshold_shrink", "context_min"):
        assert params[name].default == getattr(defaults, name), name


def test_taxonomy_extra_terms_are_more_terms(tmp_path: Path) -> None:
    from classifier.model.taxonomy import load_taxonomy

    path = tmp_path / "tax.json"
    path.write_text(json.dumps({"themes": [
        {"id": "a", "terms": ["工会换届", "建会"], "extra_terms": ["建会", "会员代表", " "]}]},
        ensure_ascii=False), "utf-8")
    assert load_taxonomy(path).themes[0].terms == ("工会换届", "建会", "会员代表")
    path.write_text(json.dumps({"themes": [{"id": "a", "extra_terms": "建会"}]}), "utf-8")
    with pytest.raises(DataError, match="'extra_terms' must be a list of strings"):
        load_taxonomy(path)


def test_a_themes_not_names_the_themes_it_yields_to(tmp_path: Path, tiny_model: Path) -> None:
    from classifier.model.taxonomy import load_taxonomy

    path = tmp_path / "tax.json"
    path.write_text(json.dumps({"themes": [
        {"id": "a", "not": "Looks like a, belongs to c (c); never b_x or x (a)."},
        {"id": "b", "not": "Help for families (a, and c too)."},
        {"id": "c"}]}), "utf-8")
    assert [t.yields_to for t in load_taxonomy(path).themes] == [("c",), ("a", "c"), ()]
    packaged = load_taxonomy()
    assert packaged.get("worker_welfare").yields_to == ("hardship_relief", "women_family")
    assert packaged.get("political_guidance").yields_to == ()
    # A trained model records the relation for its own themes (docs/CLASSIFIER.md, round 5).
    meta = load_model(tiny_model).meta
    assert meta["yields"]["worker_welfare"] == ["hardship_relief", "women_family"]
    assert "political_guidance" not in meta["yields"]


def test_packaged_taxonomy_keeps_every_shared_theme_and_term(shared_dir: Path) -> None:
    from classifier.model.taxonomy import load_taxonomy

    shared = load_taxonomy(shared_dir / "taxonomy.json")
    packaged = load_taxonomy()
    assert packaged.ids == shared.ids
    for theme in shared.themes:
        mine = packaged.get(theme.id)
        assert mine is not None and mine.terms[:len(theme.terms)] == theme.terms
        assert (mine.zh, mine.en, mine.covers) == (theme.zh, theme.en, theme.covers)
    extra = {t.id for t in packaged.themes if len(t.terms) > len(shared.get(t.id).terms)}
    assert extra == {"union_building", "workers_culture"}


def test_context_terms_that_are_also_theme_terms_share_their_column(tmp_path: Path) -> None:
    from classifier.model.taxonomy import load_taxonomy
    from classifier.training.trainer import _terms

    path = tmp_path / "tax.json"
    path.write_text(json.dumps({"themes": [
        {"id": "a", "terms": ["职工", "运动会"]}, {"id": "b", "terms": ["工会换届"]}]},
        ensure_ascii=False), "utf-8")
    terms, groups, context = _terms(load_taxonomy(path), ["a", "b"], True, True)
    assert terms == ["职工", "运动会", "工会换届", "工会"]
    assert groups == [[0, 1], [2]] and context == [3, 0]
    assert _terms(load_taxonomy(path), ["a", "b"], True, False)[2] == []


# --- reading the head of the text (FeatureSettings.read_chars) ---------------------------------

def test_features_read_only_the_head_of_a_long_text() -> None:
    from classifier.labelling.analysis import analyze
    from classifier.text.reader import articles_from_text

    model = load_model("default")
    limit = model.features.settings.read_chars
    assert limit == 1800
    head = "本报讯 市里召开经济工作会议，部署明年重点任务。" * 80  # > 1,800 characters
    tail = "区总工会为快递员送去清凉慰问品，职工书屋和职工运动会受到欢迎。" * 20
    same = model.predict_proba_many([("经济工作会议", head), ("经济工作会议", head + tail)])[0]
    assert np.array_equal(same[0], same[1])
    # What lies within the head still counts.
    moved = model.predict_proba_many([("经济工作会议", tail + head)])[0]
    assert not np.array_equal(moved[0], same[0])
    # Labelling reads the same head: same scores, same keywords.
    a, b = (analyze(articles_from_text(t, split=False), model)[0]
            for t in ("经济工作会议\n" + head, "经济工作会议\n" + head + tail))
    assert a.scores == b.scores and a.keywords == b.keywords


def test_models_saved_before_read_chars_read_the_whole_text() -> None:
    old = {"title_weight": 2, "char_lo": 1, "char_hi": 2, "min_df": 2, "word_weight": 1.0,
           "char_weight": 1.0}
    assert FeatureSettings.from_dict(old).read_chars == 0
    assert FeatureSettings().head("工会" * 1000) == "工会" * 900
    assert FeatureSettings(read_chars=0).head("工会" * 1000) == "工会" * 1000


def test_base_counting_settings_are_kept_and_a_different_one_is_named(
        tiny_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", make_rows(per_theme=2, negatives=4))
    base = load_model(tiny_model).features.settings
    assert base.read_chars == 1800
    with caplog.at_level(logging.WARNING, logger="classifier.training.trainer"):
        train([data], out_dir=tmp_path / "same", base=tiny_model,
              settings=TrainSettings(cv=0, features=base))
        assert "ignoring" not in caplog.text
        train([data], out_dir=tmp_path / "other", base=tiny_model,
              settings=TrainSettings(cv=0, features=FeatureSettings(read_chars=0, char_hi=3,
                                                                    min_df=1)))
    assert "read_chars 0 (the base has 1800)" in caplog.text
    assert "char_hi 3 (the base has 2)" in caplog.text
    got = load_model(tmp_path / "other").features.settings
    # Counting follows the base; what acts on counts (min_df) is the caller's.
    assert (got.read_chars, got.char_hi, got.min_df) == (1800, 2, 1)


# --- single-label data (categories): every article gets its best label ----------------------

def test_single_label_data_trains_a_model_that_always_picks_one(tmp_path: Path,
                                                                tiny_model: Path) -> None:
    rows = make_rows(per_theme=4, negatives=0)  # each row exactly one theme
    data = write_jsonl(tmp_path / "cats.jsonl", rows)
    train([data], out_dir=tmp_path / "m", settings=TrainSettings(cv=2))
    model = load_model(tmp_path / "m")
    assert model.meta["single_label"] is True and model.single_label
    off_topic = [("体育", "国家队在世界杯预选赛中以二比一击败对手。"),
                 ("天气", "气象台发布暴雨预警。")]
    predictions = model.predict_many(off_topic)
    proba, _ = model.predict_proba_many(off_topic)
    for p, row in zip(predictions, proba, strict=True):
        # One label however low the scores: the best one.
        assert p.labels == [model.labels[int(np.argmax(row))]]
    report = evaluate(data, model=tmp_path / "m")
    assert report["micro_f1"] == pytest.approx(report["top1_accuracy"])
    # The union-theme data (with articles of no theme) stay multi-label.
    tiny = load_model(tiny_model)
    assert tiny.meta["single_label"] is False and not tiny.single_label
    assert sum(len(p.labels) for p in tiny.predict_many(off_topic)) == 0
