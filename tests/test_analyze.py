from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.labelling.analysis import analyze, warm_up
from classifier.labelling.options import Options
from classifier.labelling.records import LABEL_FIELDS
from classifier.model.store import load_model
from classifier.text.splitter import split_articles

from .conftest import seed_text

PAGE = st.lists(st.sampled_from([*"本报讯记者工会职工劳模竞赛培训。，！？\n (TCL)1２■▲摄|",
                                 "團結(jié)", "阅读提示", "频道精选"]),
                max_size=120).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PAGE)
def test_analyze_never_raises_and_records_are_well_formed(tiny_model: Path, page: str) -> None:
    model = load_model(tiny_model)
    records = analyze(split_articles(page), model, Options(top_terms=3))
    for record in records:
        assert set(record.scores) == set(model.labels)
        assert all(0.0 <= s <= 1.0 for s in record.scores.values())
        assert set(record.evidence) == set(record.labels)
        assert len(record.summary) <= 150
        assert len(record.keywords) <= 5


def test_records_follow_article_order_and_keys(tiny_model: Path) -> None:
    articles = split_articles(seed_text("003"), source="p.txt")
    records = analyze(articles, load_model(tiny_model))
    assert [r.id for r in records] == [f"p.txt#{i}" for i in range(len(articles))]
    assert [r.title for r in records] == [a.title for a in articles]
    assert list(records[0].to_dict()) == list(LABEL_FIELDS)


def test_warm_up_builds_the_lazy_tables_once(tiny_model: Path) -> None:
    """label() warms the model up before forking, so workers share what it built."""
    model = load_model(tiny_model)
    assert model._keyword_scorer is None and model.features._char_counter is None
    warm_up(model)
    scorer, counter = model._keyword_scorer, model.features._char_counter
    assert scorer is not None and counter is not None
    warm_up(model)
    assert model._keyword_scorer is scorer and model.features._char_counter is counter
