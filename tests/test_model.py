"""ThemeModel predictions: shape of results, thresholds, evidence, no scikit-learn import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifier.features.space import compose
from classifier.features.wordcounts import WordTable, count_words
from classifier.model.store import load_model
from classifier.model.theme_model import Prediction, ThemeModel
from tests.conftest import ROOT, seed_text

TEXT = "市总工会举办职业技能竞赛，参赛选手在决赛中技术比武，展现岗位练兵成果。"


def test_prediction_fields(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    pred = model.predict("技能大赛决赛举行", TEXT, top_terms=3)
    assert isinstance(pred, Prediction)
    assert set(pred.scores) == set(model.labels)
    assert all(0.0 <= s <= 1.0 for s in pred.scores.values())
    assert pred.labels[0] == "skills_competition"
    ranked = [pred.scores[lab] for lab in pred.labels]
    assert ranked == sorted(ranked, reverse=True)
    for lab in pred.labels:
        j = model.labels.index(lab)
        assert pred.scores[lab] >= round(model.thresholds[j], 6) - 1e-6
    assert set(pred.evidence) == set(pred.labels)
    terms = [t for t, _ in pred.evidence["skills_competition"]]
    assert 0 < len(terms) <= 3
    doc = "技能大赛决赛举行" + TEXT
    assert all(t in doc for t in terms)
    assert json.loads(json.dumps(pred.to_dict(), ensure_ascii=False))["labels"] == pred.labels


def test_near_misses_are_explained_only_when_asked(tiny_model: Path) -> None:
    import pytest

    from classifier.errors import OptionError

    model = load_model(tiny_model)
    (plain,) = model.predict_many([("技能大赛决赛举行", TEXT)])
    (pred,) = model.predict_many([("技能大赛决赛举行", TEXT)], explain_unassigned=2)
    assert pred.labels == plain.labels and pred.scores == plain.scores
    runners_up = [lab for lab in sorted(pred.scores, key=lambda lab: -pred.scores[lab])
                  if lab not in pred.labels][:2]
    assert set(pred.evidence) == set(pred.labels) | set(runners_up)
    assert all(pred.evidence[lab] == plain.evidence[lab] for lab in pred.labels)
    for bad in (-1, True, 1.5):
        with pytest.raises(OptionError, match="explain_unassigned"):
            model.predict_many([("", TEXT)], explain_unassigned=bad)  # type: ignore[arg-type]


def test_predict_many_equals_predict(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    items = [("", TEXT), ("新闻速递", "股市小幅上涨，央行公布报告。"), ("", ""),
             ("工会爱心驿站", "户外劳动者在驿站休息，送温暖活动开展。")]
    many = model.predict_many(items)
    assert [model.predict(t, x) for t, x in items] == many
    assert many[2].labels == [] or all(isinstance(x, str) for x in many[2].labels)
    assert model.predict_many([]) == []


def test_off_topic_gets_no_theme(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    pred = model.predict("新闻速递", "国家队在世界杯预选赛中击败对手。股市小幅上涨。")
    assert pred.labels == []


def test_word_idf(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    assert model.word_idf("从未出现过的词xyz") == float(model.features.word_idf.max())
    assert model.word_idf("总工会") < model.word_idf("从未出现过的词xyz")


def test_top_terms_zero_gives_empty_evidence(tiny_model: Path) -> None:
    pred = load_model(tiny_model).predict("", TEXT, top_terms=0)
    assert pred.labels and all(v == [] for v in pred.evidence.values())


def test_default_model_predicts_without_sklearn() -> None:
    """A one-page classification must not import scikit-learn (nor pure-Python jieba)."""
    code = (
        "import sys, json\n"
        "from classifier.model.store import load_model\n"
        "m = load_model('default')\n"
        f"text = open({str(ROOT / 'seeds')!r} + '/' + sys.argv[1], encoding='utf-8').read()\n"
        "p = m.predict('', text)\n"
        "print(json.dumps({'sk': 'sklearn' in sys.modules, 'jieba': 'jieba' in sys.modules,\n"
        "                  'n': len(p.scores)}))\n"
    )
    name = next((ROOT / "seeds").glob("002_*.txt")).name
    assert seed_text("002")
    out = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    result = json.loads(out.stdout)
    assert result == {"sk": False, "jieba": False, "n": len(load_model("default").labels)}


def test_default_model_meta_records_counts() -> None:
    model = load_model("default")
    counts = model.meta["training"]["examples_per_label"]
    assert set(counts) == set(model.labels) and sum(counts.values()) > 0
    assert set(model.meta["cv_metrics"]["per_label"]) == set(model.labels)
    assert np.all((model.thresholds > 0) & (model.thresholds < 1))


def _explain_reference(model: ThemeModel, x: sp.csr_matrix, row: int, label: int,
                       k: int) -> list[list[object]]:
    """The explanation spelled out term by term (what the vectorized ``_explain`` must equal)."""
    lo, hi = x.indptr[row], x.indptr[row + 1]
    merged: dict[str, float] = {}
    for c, v in zip(x.indices[lo:hi], x.data[lo:hi], strict=True):
        w = float(v * model.coef[label, c])
        if w > 0:
            term = model.features.term(int(c))
            merged[term] = merged.get(term, 0.0) + w
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    words = model.features.word_index
    present = set(x.indices[lo:hi].tolist())
    # A word counts only where it was cut as a word in this row (its own column is there):
    # seen only through char n-grams inside longer words it is a fragment (issue 11).
    ranked = [kv for kv in ranked if kv[0] not in words or words[kv[0]] in present]
    best = [kv for kv in ranked if len(kv[0]) >= 2 and kv[0] in words][:k]
    best += [kv for kv in ranked if len(kv[0]) >= 2 and kv[0] not in words][:k - len(best)]
    return [[t, round(w, 4)] for t, w in best]


def test_explanations_equal_term_by_term_reference(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    items = [("技能大赛决赛举行", TEXT), ("工会爱心驿站", "户外劳动者在驿站休息，送温暖活动开展。"),
             ("", "困难职工帮扶，职工之家建设，劳模工匠精神。")]
    _, x = model.predict_proba_many(items)
    checked = 0
    for row in range(len(items)):
        for label in range(len(model.labels)):
            for k in (1, 3, 8, 50):
                got = model._explain(x, row, label, k)
                assert got == _explain_reference(model, x, row, label, k)
                checked += bool(got)
    assert checked > 10  # most (row, label) pairs have evidence: the comparison is not vacuous


def test_shared_word_counts_give_the_same_predictions(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    items = [("技能大赛 决赛举行", TEXT), ("", "外卖骑手 IPhone 3.5% 2022-05-25"), ("工会", "")]
    counts = [count_words(compose(t, "", 2, normalized=True)[1], x) for t, x in items]
    for vocabulary in (None, model.features.word_index, {"决赛": 0}):
        table = WordTable.of(counts, vocabulary)
        assert model.predict_many(items, normalized=True, words=table) == \
            model.predict_many(items, normalized=True)


def test_evidence_is_readable_words_not_fragments_or_bylines() -> None:
    """Issue 11: evidence is for people: no 递员 from 快递员, no reporter's name."""
    from classifier.labelling.analysis import analyze
    from classifier.text.reader import articles_from_text

    model = load_model("default")
    text = ("本报讯（记者张晓明）近日，市总工会为500名快递员、外卖送餐员送去清凉慰问品，"
            "并开展新就业形态劳动者入会集中行动，为快递员办理工会会员卡。")
    (record,) = analyze(articles_from_text(text), model)
    terms = [term for pairs in record.evidence.values() for term, _ in pairs]
    assert terms, record
    assert "递员" not in terms and "张晓明" not in terms
    assert all(len(term) >= 2 for term in terms)
    # 志强 (of 李志强) weighs most for model_workers_craftsmen here, and is a piece of a name.
    text = ("9月1日，习近平总书记给中国航发黎明发动机装配厂“李志强班”职工回信，勉励他们弘扬"
            "劳模精神、工匠精神。“李志强班”以全国劳动模范李志强的名字命名。")
    (record,) = analyze(articles_from_text(text), model)
    terms = [term for pairs in record.evidence.values() for term, _ in pairs]
    assert "工匠精神" in terms and "志强" not in terms and "志强" not in record.keywords


def _main_story() -> tuple[str, str]:
    """Seed page 001's main story: a union federation's five years, one section per theme;
    model workers and contests come after the first 1,800 characters."""
    from classifier.text.splitter import split_articles

    main = split_articles(seed_text("001"))[0]
    return main.title, main.text


def test_a_long_union_article_is_read_on_past_its_head() -> None:
    """Issue 11 round 5: a theme that only a later part of a long union article carries is
    found, with evidence from that part; the head alone misses it."""
    model = load_model("default")
    title, text = _main_story()
    limit = model.features.settings.read_chars
    assert "技能大赛" not in text[:limit] and "技能大赛" in text[limit:]
    (whole,) = model.predict_many([(title, text)], normalized=True)
    (head,) = model.predict_many([(title, text[:limit])], normalized=True)
    added = set(whole.labels) - set(head.labels)
    assert {"skills_competition", "model_workers_craftsmen"} <= added
    assert set(head.labels) <= set(whole.labels)
    assert all(whole.scores[t] >= 0.9 for t in added)
    competition = [term for term, _ in whole.evidence["skills_competition"]]
    assert competition and all(term in text[limit:] for term in competition)
    # The scores alone (evaluate, suggest) read on the same way.
    proba, _ = model.predict_proba_many([(title, text)], normalized=True)
    assert {model.labels[j] for j in np.flatnonzero(model.decide(proba)[0])} == \
        set(whole.labels)


def test_only_union_articles_and_long_enough_parts_are_read_on() -> None:
    model = load_model("default")
    title, text = _main_story()
    limit = model.features.settings.read_chars

    def labels(t: str, x: str, m: ThemeModel = model) -> set[str]:
        return set(m.predict_many([(t, x)], normalized=True)[0].labels)

    # The same story without the words that make it a union article: its head only.
    def plain(x: str) -> str:
        return x.replace("工会", "协会").replace("职工", "员工")

    assert labels(plain(title), plain(text)) == labels(plain(title), plain(text)[:limit])
    # A part shorter than TAIL_MIN_CHARS after the head is not read.
    start = text.index("技能大赛", limit)
    short = text[:limit] + text[start - 50:start + 120]
    assert len(short) - limit < 200
    assert labels(title, short) == labels(title, text[:limit])
    # A model without union context terms (a desk's own categories) reads the head only.
    head_only = ThemeModel(labels=model.labels, names=model.names, features=model.features,
                           coef=model.coef, intercept=model.intercept,
                           combiner=model.combiner, thresholds=model.thresholds,
                           terms=model.terms, term_groups=model.term_groups,
                           meta={**model.meta, "term_context": None},
                           prior_mask=model.prior_mask, theme_combiner=model.theme_combiner)
    assert labels(title, text, head_only) == labels(title, text[:limit], head_only)


def _without(model: ThemeModel, **meta: Any) -> ThemeModel:
    """The same model with some meta entries replaced (None: as a model saved without them)."""
    return ThemeModel(labels=model.labels, names=model.names, features=model.features,
                      coef=model.coef, intercept=model.intercept, combiner=model.combiner,
                      thresholds=meta.pop("thresholds", model.thresholds), terms=model.terms,
                      term_groups=model.term_groups, meta={**model.meta, **meta},
                      prior_mask=model.prior_mask, theme_combiner=model.theme_combiner)


def test_a_theme_yields_to_the_theme_its_not_names() -> None:
    """Issue 11 round 5: hardship_relief's ``not`` names worker_welfare ("broad, untargeted
    welfare services"): on the seed page's main story worker_welfare is the clear call, so
    hardship_relief (0.82 alone) yields, and a score still means assigned from 0.5."""
    model = load_model("default")
    assert model.meta["yields"]["hardship_relief"] == ["worker_welfare"]
    title, text = _main_story()
    (pred,) = model.predict_many([(title, text)], normalized=True)
    (before,) = _without(model, yields=None).predict_many([(title, text)], normalized=True)
    assert "hardship_relief" in before.labels and "hardship_relief" not in pred.labels
    assert pred.scores["hardship_relief"] <= 1.0 - pred.scores["worker_welfare"] + 1e-6
    assert set(before.labels) - set(pred.labels) == {"hardship_relief"}
    for prefix in ("000", "001", "002", "003", "004"):
        from classifier.text.splitter import split_articles

        items = [(a.title, a.text) for a in split_articles(seed_text(prefix))]
        for p in model.predict_many(items, normalized=True):
            assert set(p.labels) == {lab for lab, s in p.scores.items() if s >= 0.5}


def test_yielding_rules() -> None:
    model = load_model("default")
    ww, hr = model.labels.index("worker_welfare"), model.labels.index("hardship_relief")

    def after(model: ThemeModel, w: float, h: float) -> tuple[float, float]:
        proba = np.zeros((1, len(model.labels)))
        proba[0, ww], proba[0, hr] = w, h
        model._yield(proba)
        return round(float(proba[0, ww]), 6), round(float(proba[0, hr]), 6)

    assert after(model, 0.8, 1.0) == (0.0, 1.0)  # yields to the higher theme its not names
    assert after(model, 0.6, 0.7) == (0.3, 0.7)  # a pair naming each other: the lower yields
    assert after(model, 0.7, 0.6) == (0.7, 0.3)
    assert after(model, 0.95, 0.99) == (0.95, 0.99)  # a clear call never yields
    assert after(model, 0.3, 0.4) == (0.3, 0.4)  # below the decision point already: as it is
    # A model without the relation, or not calibrated (its points are not all 0.5), keeps
    # every score.
    assert after(_without(model, yields=None), 0.8, 1.0) == (0.8, 1.0)
    uncalibrated = _without(model, thresholds=np.full(len(model.labels), 0.4))
    assert after(uncalibrated, 0.8, 1.0) == (0.8, 1.0)
