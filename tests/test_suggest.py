"""``suggest``: what to label next (classifier.review.strategies and the ``suggest`` command)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import OptionError
from classifier.model.store import load_examples, load_model
from classifier.review.inputs import read_inputs
from classifier.review.strategies import (
    DEFAULT_STRATEGY,
    NEAR_DUPLICATE,
    STRATEGIES,
    Known,
    _closeness,
    _unit_rows,
    rank_articles,
)

from .classifier_fixtures import OFF_TOPIC, make_rows, write_jsonl


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Unlabelled articles (labels dropped) from a seed other than the tiny model's, plus two
    copies of one story."""
    rows = [{"id": f"a{i}", "title": r["title"], "text": r["text"]}
            for i, r in enumerate(make_rows(seed=7, per_theme=2, negatives=6))]
    story = rows[0]
    rows.append({"id": "copy-1", "title": story["title"], "text": story["text"]})
    rows.append({"id": "copy-2", "title": story["title"], "text": story["text"] + "。"})
    return write_jsonl(tmp_path_factory.mktemp("suggest") / "pool.jsonl", rows)


def test_closeness_is_one_on_each_themes_own_decision_point() -> None:
    thresholds = np.array([0.06, 0.5, 0.9])
    proba = np.array([[0.06, 0.5, 0.9], [0.5, 0.06, 0.5]])
    close = _closeness(proba, thresholds)
    assert np.allclose(close[0], 1.0)
    # 0.5 is far from a 0.06 threshold and from a 0.9 one, in logit units alike.
    assert close[1, 0] < 0.2 and close[1, 2] < 0.2


def test_uncertainty_reads_the_thresholds_from_the_model(tiny_model: Path, pool: Path) -> None:
    model = load_model(tiny_model)
    articles, _ = read_inputs([str(pool)])
    proba, _ = model.predict_proba_many([(a.title, a.text) for a in articles], normalized=True)
    # An article and theme whose score is neither near 0 or 1 nor near 0.5; every other
    # threshold at 0.99 (no other pair sits on its decision point).
    i, j = next((i, j) for i in range(len(articles)) for j in range(len(model.labels))
                if 0.02 < proba[i, j] < 0.98 and abs(proba[i, j] - 0.5) > 0.15)
    model.thresholds = np.full(len(model.labels), 0.99)
    model.thresholds[j] = proba[i, j]
    ranked = rank_articles(articles, model, n=len(articles), strategy="uncertainty")
    mine = next(p for p in ranked if p.id == articles[i].key)
    assert mine.value == pytest.approx(1.0) and ranked[0].value == pytest.approx(1.0)
    assert ranked[0].theme == model.labels[j] and "decision point" in ranked[0].why
    # With every threshold at 0.5 that score is far from undecided.
    model.thresholds = np.full(len(model.labels), 0.5)
    ranked = rank_articles(articles, model, n=len(articles), strategy="uncertainty")
    assert next(p for p in ranked if p.id == articles[i].key).value < 0.99


def test_the_commands_default_strategy_is_the_librarys() -> None:
    from classifier.cli.review import review, suggest

    for command in (suggest, review):
        assert inspect.signature(command).parameters["strategy"].default == DEFAULT_STRATEGY


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_gives_n_distinct_articles_deterministically(
        tiny_model: Path, pool: Path, strategy: str) -> None:
    model = load_model(tiny_model)
    articles, _ = read_inputs([str(pool)])
    picks = rank_articles(articles, model, n=10, strategy=strategy, model_dir=str(tiny_model))
    again = rank_articles(articles, model, n=10, strategy=strategy, model_dir=str(tiny_model))
    assert [p.id for p in picks] == [p.id for p in again]
    assert len({p.id for p in picks}) == 10
    assert all(set(p.scores) == set(model.labels) and p.why for p in picks)
    full = rank_articles(articles, model, n=len(articles), strategy=strategy)
    assert sorted(p.id for p in full) == sorted(a.key for a in articles)


@pytest.mark.parametrize("strategy", ["combined", "diverse", "rare"])
def test_a_batch_holds_no_near_duplicates(tiny_model: Path, pool: Path, strategy: str) -> None:
    model = load_model(tiny_model)
    articles, _ = read_inputs([str(pool)])
    picks = rank_articles(articles, model, n=15, strategy=strategy, model_dir=str(tiny_model))
    chosen = [a for p in picks for a in articles if a.key == p.id]
    x = _unit_rows(model.predict_proba_many([(a.title, a.text) for a in chosen],
                                            normalized=True)[1])
    sim = np.asarray((x @ x.T).todense())
    np.fill_diagonal(sim, 0.0)
    assert sim.max() < NEAR_DUPLICATE
    # Uncertainty alone keeps both copies when they score alike: diversity is what removes them.
    ids = {p.id for p in picks}
    assert not {"a0", "copy-1", "copy-2"} <= ids


def test_rare_finds_members_of_a_theme_known_only_from_corrections(
        tiny_model: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model)
    theme = model.labels[0]
    # A made-up topic no taxonomy term covers: only the corrections say what it looks like.
    topic = "深海科考船完成第三次远洋科考任务，科考队员采集大量深海样本。"
    rows = [{"id": f"off{i}", "title": "新闻速递", "text": OFF_TOPIC[i % len(OFF_TOPIC)]
             + OFF_TOPIC[(i + 1) % len(OFF_TOPIC)]} for i in range(12)]
    rows.append({"id": "target", "title": "远洋科考", "text": topic * 2})
    articles, _ = read_inputs([str(write_jsonl(tmp_path / "p.jsonl", rows))])
    known = [Known("科考船返航", topic + "科考船", (theme,))]
    picks = rank_articles(articles, model, n=1, strategy="rare", known=known)
    assert picks[0].id == "target"
    assert theme in picks[0].why


def test_bad_arguments_raise_option_errors(tiny_model: Path, pool: Path) -> None:
    model = load_model(tiny_model)
    articles, _ = read_inputs([str(pool)])
    with pytest.raises(OptionError, match="unknown strategy 'best'"):
        rank_articles(articles, model, n=3, strategy="best")
    with pytest.raises(OptionError, match="n must be"):
        rank_articles(articles, model, n=-1)
    assert rank_articles([], model, n=3) == []


def test_suggest_command_prints_n_jsonl_lines_and_excludes_corrections(
        tiny_model: Path, pool: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["suggest", str(pool), "--n", "5", "--model", str(tiny_model)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(lines) == 5
    assert {"id", "title", "why", "scores", "labels"} <= set(lines[0])
    values = [x["value"] for x in lines]
    assert values[0] == max(values)  # most useful first
    corrections = tmp_path / "c.jsonl"
    corrections.write_text(json.dumps({"id": lines[0]["id"], "title": "", "text": "x",
                                       "labels": [], "model": "m", "saved_at": "t"}) + "\n",
                           "utf-8")
    res = runner.invoke(app, ["suggest", str(pool), "--n", "5", "--model", str(tiny_model),
                              "--exclude", str(corrections)])
    assert res.exit_code == 0, res.output
    assert lines[0]["id"] not in {json.loads(x)["id"] for x in res.stdout.splitlines()}


def test_suggest_command_walks_folders_and_reports_bad_input(
        tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    page = "职工技能大赛开幕\n\n市总工会举办职工技能大赛，一线职工踴躍參賽。"
    (folder / "one.txt").write_text(page, "utf-8")
    (folder / "sub" / "two.txt").write_text("送清凉\n\n工会为户外劳动者送去清凉慰问品。", "utf-8")
    res = CliRunner().invoke(app, ["suggest", str(folder), str(tmp_path / "missing.txt"),
                                   "--n", "9", "--model", str(tiny_model)])
    assert res.exit_code == 3, res.output
    sources = {json.loads(x)["source"] for x in res.stdout.splitlines()}
    assert sources == {str(folder / "one.txt"), str(folder / "sub" / "two.txt")}
    assert "missing.txt" in res.stderr
    res = CliRunner().invoke(app, ["suggest", str(folder), "--strategy", "best",
                                   "--model", str(tiny_model)])
    assert res.exit_code == 2 and "unknown strategy" in res.stderr


def test_articles_the_model_was_trained_on_are_never_suggested(
        tiny_model: Path, tmp_path: Path) -> None:
    # The tiny model's own training rows (same ids), beside articles it has never seen.
    trained = make_rows()[:12]
    unseen = [{"id": f"new-{i}", "title": r["title"], "text": r["text"] + "新"}
              for i, r in enumerate(make_rows(seed=5, per_theme=1, negatives=2))]
    pool = write_jsonl(tmp_path / "mixed.jsonl", [*trained, *unseen])
    res = CliRunner().invoke(app, ["suggest", str(pool), "--n", "40",
                                   "--model", str(tiny_model)])
    assert res.exit_code == 0, res.output
    ids = [json.loads(x)["id"] for x in res.stdout.splitlines()]
    assert sorted(ids) == sorted(r["id"] for r in unseen)
    assert set(load_examples(tiny_model).ids) >= {str(r["id"]) for r in trained}
