"""Tests for classifier.summary.keyterms (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import OptionError
from classifier.features.wordcounts import WordTable, count_words
from classifier.summary.keyterms import (
    KeywordScorer,
    is_candidate,
    keywords,
    keywords_many,
    stopwords,
)

TEXT = (
    "本报讯（记者张三）近日，市总工会召开劳动模范表彰大会。大会表彰了100名劳动模范。"
    "劳动模范代表表示，要弘扬劳模精神。据悉，2020年全市劳动模范已达3000人。"
)


def test_stopword_list_is_curated() -> None:
    words = stopwords()
    for news_word in ("记者", "通讯员", "本报讯", "日前", "近日", "据悉", "表示", "介绍"):
        assert news_word in words
    assert "安全" not in words  # a topic word in union news, removed from the source lists
    assert not any(w.startswith("#") for w in words)


@pytest.mark.parametrize(
    ("word", "ok"),
    [("劳模", True), ("劳", False), ("记者", False), ("2020", False), ("2020年", False),
     ("3.5%", False), ("12月", False), ("5G", True),
     # issue 11: fragments, generic words and counters are no keywords
     ("递员", False), ("围绕", False), ("全市", False), ("九届", False), ("余份", False),
     ("两名", False), ("第三届", False)],
)
def test_is_candidate(word: str, ok: bool) -> None:
    assert is_candidate(word) is ok


def test_term_frequency_ranking_without_idf() -> None:
    top = keywords(TEXT, k=3)
    assert top[0] == "劳动模范"
    assert all(is_candidate(w) for w in top)
    assert "记者" not in top and "据悉" not in top


def test_idf_changes_the_ranking() -> None:
    def idf(word: str) -> float:
        return 10.0 if word == "劳模精神" else 1.0

    assert keywords(TEXT, k=1, idf=idf) == ["劳模精神"]


def test_title_words_are_boosted() -> None:
    # 表彰大会: once in the body, once in the title, doubled -> ties 劳动模范 (4) and the
    # title word, seen first, wins the tie.
    assert keywords(TEXT, k=1) == ["劳动模范"]
    assert keywords(TEXT, k=1, title="表彰大会") == ["表彰大会"]


def test_empty_and_bad_k() -> None:
    assert keywords("") == []
    assert keywords("。，！ 2020 的") == []
    assert keywords(TEXT, k=0) == []
    with pytest.raises(OptionError, match="-1"):
        keywords(TEXT, k=-1)


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from(list("工会职工劳模技能大赛的了2020年，。 ab")), max_size=80),
       st.integers(min_value=1, max_value=6))
def test_keywords_are_distinct_candidates(text: str, k: int) -> None:
    top = keywords(text, k=k)
    assert len(top) <= k
    assert len(set(top)) == len(top)
    assert all(is_candidate(w) for w in top)
    assert keywords(text, k=k) == top  # deterministic


def test_latin_keywords_keep_the_article_s_casing() -> None:
    text = "TCL公司工会开展志愿活动。TCL职工积极响应，TCL产业园捐赠衣物。"
    assert "TCL" in keywords(text, k=3)


def _idf(word: str) -> float:
    return 1.0 + len(word) % 3


def test_vocabulary_scorer_equals_idf_function() -> None:
    """The batch path (column weights filled as met, one table) equals one call per article."""
    vocab = {w: i for i, w in enumerate(["劳动模范", "劳模精神", "记者", "表彰大会", "2020年"])}
    scorer = KeywordScorer.for_vocabulary(vocab, _idf)
    assert np.isnan(scorer.by_column[:-1]).all()  # nothing judged before an article needs it
    keywords_many(WordTable.of([count_words("", "劳模精神 记者")], vocab), [("", "劳模精神 记者")],
                  k=3, scorer=scorer)
    assert scorer.by_column[vocab["记者"]] == 0.0
    assert scorer.by_column[vocab["劳模精神"]] == _idf("劳模精神")
    assert np.isnan(scorer.by_column[vocab["表彰大会"]])
    articles = [(t, TEXT) for t in ("", "表彰大会", "劳模 表彰")] + [("", ""), ("劳模", "劳模")]
    for vocabulary in (vocab, None):
        table = WordTable.of([count_words(t, x) for t, x in articles], vocabulary)
        for k in (1, 3, 10):
            expected = [keywords(x, k=k, title=t, idf=_idf) for t, x in articles]
            assert keywords_many(table, articles, k=k, scorer=scorer) == expected
            assert [keywords(x, k=k, title=t, scorer=scorer) for t, x in articles] == expected


def test_scorer_remembers_new_words_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("classifier.summary.keyterms._MEMO_WORDS", 2)
    scorer = KeywordScorer(_idf, {"劳模": 5.0})
    assert [scorer.weight(w) for w in ("劳模", "工匠", "记者", "技能")] == \
        [5.0, _idf("工匠"), 0.0, _idf("技能")]
    assert set(scorer.known) == {"劳模", "工匠", "记者"}  # the bound: 1 known + 2 learnt


def test_empty_vocabulary_scorer_falls_back_to_idf() -> None:
    scorer = KeywordScorer.for_vocabulary({}, _idf)
    table = WordTable.of([count_words("", TEXT)], {})
    assert keywords_many(table, [("", TEXT)], k=3, scorer=scorer) == [keywords(TEXT, k=3,
                                                                                 idf=_idf)]


def test_byline_names_are_never_keywords() -> None:
    """Issue 11: 张晓明 is the reporter, named as often as the topic, and stays out."""
    text = ("本报讯（记者张晓明 通讯员欧阳小明）张晓明 欧阳小明 张晓明 欧阳小明。"
            "市总工会举办劳模表彰大会，劳模代表发言。")
    top = keywords(text, k=5)
    assert "张晓明" not in top and "欧阳小明" not in top
    assert "劳模" in top
    # The same words are keywords of an article that does not name them as its reporters.
    assert "张晓明" in keywords("张晓明 张晓明 张晓明。劳模表彰大会。", k=5)


def test_given_names_are_not_keywords_and_k_words_are_still_given() -> None:
    """志强 is only the given name of 李志强 here (issue 11: no fragments); the next words by
    score take its place."""
    text = "“李志强班”职工回信。李志强班 李志强班 李志强班。劳模精神代代相传，职工学习劳模精神。"
    top = keywords(text, k=3)
    assert "志强" not in top and len(top) == 3 and "劳模精神" in top
    assert "志强" in keywords("志强而行 志强而行 志强而行。劳模精神。", k=3)


def test_counters_and_generic_words_give_way_to_topics() -> None:
    text = "第九届全市职工技能大赛举行，九届十次全委会围绕职工技能大赛作出部署，余份奖状颁发。"
    top = keywords(text, k=5)
    assert not {"九届", "十次", "余份", "全市", "围绕"} & set(top)
    assert "技能大赛" in top or "职工" in top


_POOL = ["劳动模范", "劳模", "记者", "职工", "2020年", "九届", "全市", "工匠精神", "围绕", "表彰",
         "外卖骑手", "余份", "张三", "技能大赛", "的", "工会", "3.5%", "慰问", "递员", "服务站"]


def _brute_force(table: WordTable, k: int, names: list[frozenset[str]],
                 idf: Callable[[str], float]) -> list[list[str]]:
    """Every word judged, scored and ranked: what ``top_many`` must equal."""
    out = []
    for row in range(len(table)):
        lo, hi = int(table.starts[row]), int(table.starts[row + 1])
        scored = []
        for i in range(lo, hi):
            word = table.keys[i]
            weight = idf(word) if is_candidate(word) and word not in names[row] else 0.0
            boost = 2.0 if table.title[i] > 0 else 1.0
            scored.append((-(table.counts[i] * weight * boost), i - lo, word))
        out.append([w for s, _, w in sorted(scored)[:k] if s < 0])
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(_POOL), max_size=4),
                          st.lists(st.sampled_from(_POOL), max_size=30)), min_size=1, max_size=6),
       st.integers(0, 6), st.sampled_from(["none", "vocabulary", "column idf", "unknown idf"]))
def test_top_many_equals_judging_every_word(docs: list[tuple[list[str], list[str]]], k: int,
                                            variant: str) -> None:
    """Judging words lazily, best bound first, picks exactly what judging all of them does."""
    articles = [("，".join(t), "。".join(x)) for t, x in docs]
    words = sorted(_POOL[::2])
    vocab = {w: i for i, w in enumerate(words)} if variant != "none" else None
    column_idf = np.asarray([_idf(w) for w in words]) if "idf" in variant else None
    idf = _idf
    if variant == "unknown idf":  # every word outside the vocabulary weighs the same

        def idf(word: str) -> float:
            return _idf(word) if word in words else 2.0
    scorer = (KeywordScorer.for_vocabulary(vocab, idf, column_idf,
                                           2.0 if variant == "unknown idf" else None)
              if vocab is not None else KeywordScorer(idf))
    table = WordTable.of([count_words(t, x) for t, x in articles], vocab)
    names = [frozenset({"张三"}) for _ in articles]
    want = _brute_force(table, k, names, idf)
    assert scorer.top_many(table, k, names) == want
    assert scorer.top_many(table, k, names) == want  # again, with what it remembered


def test_summarize_and_classify_agree_on_a_long_article_s_keywords(tmp_path: Path) -> None:
    """Both weigh keywords with the default model, which reads the first 1,800 characters:
    words only the tail has (快递员, 职工书屋) are keywords of neither."""
    import json

    from typer.testing import CliRunner

    from classifier.cli.app import app

    head = "市里召开经济工作会议，部署明年经济重点任务，会议强调稳增长。" * 70
    tail = "快递员职工书屋快递员职工书屋快递员职工书屋。" * 60
    page = tmp_path / "long.txt"
    page.write_text("经济工作会议召开\n" + head + "\n" + tail, encoding="utf-8")
    runner = CliRunner()
    got = []
    for command in (["classify", str(page), "--no-split", "--format", "jsonl"],
                    ["summarize", str(page), "--no-split", "--format", "jsonl"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        got.append(json.loads(result.stdout.splitlines()[0])["keywords"])
    assert got[0] == got[1] and got[0]
    assert not {"快递员", "职工书屋"} & set(got[0])
