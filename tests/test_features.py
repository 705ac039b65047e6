"""Prediction-time TF-IDF must equal scikit-learn's TfidfVectorizer exactly."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features.space import (
    CharAnalyzer,
    FeatureSettings,
    FeatureSpace,
    compose,
    word_analyzer,
)
from classifier.features.wordcounts import WordTable, count_words
from classifier.text.normalize import normalize_text
from tests.conftest import SEEDS


def _assert_parity(docs: list[str], settings: FeatureSettings) -> None:
    fit_docs, check_docs = docs[: len(docs) // 2 + 1], docs
    kw = {"sublinear_tf": True, "smooth_idf": True, "norm": "l2", "lowercase": False}
    wv = TfidfVectorizer(analyzer=word_analyzer, **kw).fit(fit_docs)
    cv = TfidfVectorizer(analyzer=CharAnalyzer(settings.char_lo, settings.char_hi), **kw)
    cv.fit(fit_docs)
    space = FeatureSpace(settings, list(wv.get_feature_names_out()),
                         list(cv.get_feature_names_out()), wv.idf_, cv.idf_)
    ours = space.transform(check_docs).to_scipy()
    nw = len(space.word_vocab)
    ref_w = wv.transform(check_docs)
    ref_c = cv.transform(check_docs)
    assert np.allclose(ours[:, :nw].toarray(), ref_w.toarray(), atol=1e-9, rtol=0)
    assert np.allclose(ours[:, nw:].toarray(), ref_c.toarray(), atol=1e-9, rtol=0)


def _seed_docs() -> list[str]:
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        title, _, body = text.strip().partition("\n")
        out.append(compose(title, body, 2)[0])
        out.append(compose("", text[:500], 2)[0])
    return out


@pytest.mark.parametrize("lo,hi", [(1, 2), (2, 3)])
def test_tfidf_parity_on_seeds(lo: int, hi: int) -> None:
    _assert_parity(_seed_docs(), FeatureSettings(char_lo=lo, char_hi=hi))


def test_tfidf_parity_on_corpus(shared_dir: Path) -> None:
    src = shared_dir / "corpus/peoples_daily/articles.jsonl"
    with src.open(encoding="utf-8") as f:
        docs = [compose(a["title"], a["text"], 2)[0]
                for a in map(json.loads, islice(f, 0, 2000, 20))]
    _assert_parity(docs, FeatureSettings())


def test_compose_repeats_normalized_title() -> None:
    doc, title = compose("職工 書屋", "正文,內容", 2)
    assert title == "职工 书屋"
    assert doc.split("\n") == ["职工 书屋", "职工 书屋", "正文，内容"]
    assert compose("", "正文", 3)[0] == "正文"


def test_empty_document_gives_zero_row() -> None:
    space = FeatureSpace(FeatureSettings(), ["职工"], ["职"], np.ones(1), np.ones(1))
    x = space.transform(["", "职工"]).to_scipy()
    assert x.shape == (2, 2)
    assert x[0].nnz == 0 and np.allclose(x[1].toarray(), [[1.0, 1.0]])


def test_word_idf_unknown_gets_max() -> None:
    space = FeatureSpace(FeatureSettings(), ["职工", "工会"], [], np.array([1.5, 3.0]),
                         np.zeros(0))
    assert space.idf_of_word("职工") == 1.5
    assert space.idf_of_word("没见过") == 3.0


@pytest.mark.parametrize("title_weight", [0, 1, 2, 3])
def test_word_counts_path_equals_cutting_documents(title_weight: int) -> None:
    """Counting an article's words once (shared with keywords) equals cutting the composed doc."""
    pages = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    items = [(p.strip().partition("\n")[0], p[:800]) for p in pages]
    items += [("技能大赛 技能大赛", "技能大赛决赛。IPhone 3.5%，2022-05-25"), ("", ""),
              ("标题", "")]
    pairs = [(normalize_text(t), normalize_text(x)) for t, x in items]
    docs = [compose(t, x, title_weight, normalized=True) for t, x in pairs]
    vocab = sorted({w for d, _ in docs for w in word_analyzer(d)} | {"决赛", "没出现"})
    space = FeatureSpace(FeatureSettings(title_weight=title_weight), vocab, ["技"],
                         np.ones(len(vocab)), np.ones(1))
    counts = [count_words(title, x) for (_, title), (_, x) in zip(docs, pairs, strict=True)]
    slow = space.counts([d for d, _ in docs])
    fast = space.counts([d for d, _ in docs], WordTable.of(counts, space.word_index))
    assert slow.nnz > 100 and fast.to_scipy().has_sorted_indices
    assert np.array_equal(slow.data, fast.data)
    assert np.array_equal(slow.indices, fast.indices) and np.array_equal(slow.indptr, fast.indptr)
