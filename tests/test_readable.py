"""Tests for classifier.summary.readable: which terms a person can read (issue 11)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.summary.readable import (
    NEW_WORDS,
    byline_names,
    is_counter,
    is_dictionary_word,
    is_given_name,
    is_readable_term,
    occurs_as_word,
    readable_in,
    stopwords,
)


@pytest.mark.parametrize("term", ["工会干部", "劳模", "快递员", "工匠精神", "新就业形态", "5G",
                                  "抗疫", "两会", "十九大", "一带一路", "工联会"])
def test_readable_terms(term: str) -> None:
    assert is_readable_term(term)


@pytest.mark.parametrize(
    ("term", "why"),
    [("递员", "fragment"), ("难职", "fragment"), ("工", "single character"),
     ("围绕", "generic"), ("了解", "generic"), ("全市", "generic"), ("一线", "generic"),
     ("九届", "counter"), ("十次", "counter"), ("余份", "counter"), ("第三届", "counter"),
     ("两名", "counter"), ("3家", "counter"), ("万余条", "counter"), ("亿人次", "counter"),
     ("首届", "counter"), ("2020年", "number"), ("3.5%", "number"), ("——", "no letter"),
     ("十八", "number in words"), ("二十", "number in words"), ("一百", "number in words"),
     ("三十五", "number in words"), ("出席", "generic"), ("正式", "generic"),
     ("本届", "generic")],
)
def test_unreadable_terms(term: str, why: str) -> None:
    assert not is_readable_term(term), why


@pytest.mark.parametrize("word", ["个人", "多元", "百度", "两会", "三农", "五一", "四川", "三八",
                                  "万一", "十九大"])
def test_words_with_numerals_are_not_counters(word: str) -> None:
    assert not is_counter(word)


def test_new_words_are_the_dictionary_s_gaps() -> None:
    # NEW_WORDS lists only what the dictionary lacks; a word it learns need not stay here.
    assert all(len(w) == 2 and not is_dictionary_word(w) for w in NEW_WORDS)
    assert "递员" not in NEW_WORDS and not is_dictionary_word("递员")


def test_generic_words_are_in_the_curated_list() -> None:
    words = stopwords()
    for generic in ("围绕", "了解", "全市", "我省", "举办", "图为", "一线", "我国", "平方米"):
        assert generic in words
    # The subject of every union report says nothing to a union desk; what kind of union work
    # it is does.
    for domain in ("工会", "总工会", "职工", "工会工作", "全国总工会"):
        assert domain in words and not is_readable_term(domain)
    for topic in ("基层工会", "工会干部", "工会主席", "职工之家", "困难职工", "劳模", "安全",
                  "组织"):
        assert topic not in words


def test_pieces_of_longer_words_are_not_readable_in_the_article() -> None:
    # 联会 is a dictionary word, but here it is only ever a piece of 工联会.
    assert is_readable_term("联会")
    text = "香港工联会开展活动，工联会主席致辞。"
    assert not occurs_as_word("联会", text)
    assert not readable_in("联会", "", text)
    assert readable_in("联会", "", "学生联会和联会成员")  # on its own here
    assert not readable_in("形态", "", "新就业形态劳动者权益保障")
    assert readable_in("劳模", "", "劳模工匠走访企业，劳模送去技术。")
    # The caller may know: a word the segmenter cut here stands alone, a zero count does not.
    assert readable_in("联会", "", text, standalone=True)
    assert not readable_in("劳模", "", "劳模开会", standalone=False)


@pytest.mark.parametrize(
    ("term", "text", "given"),
    [
        ("志强", "中国航发黎明发动机装配厂“李志强班”职工，“李志强班”以李志强命名", True),
        ("清明", "授予邓清明、张陆“英雄航天员”称号", True),
        ("利民", "平台经理黄利民和工友们正等待完钻", True),
        # Once on its own, it is a word of the article.
        ("志强", "“李志强班”职工表示，要志强而行", False),
        # After a surname that is also a common word (和, 高): a word.
        ("算法", "平台劳动规则和算法协商指引", False),
        ("通胀", "多国民众抗议高通胀", False),
        ("下游", "黄河山西段下游出现凌汛", False),
        ("职工", "全省5万职工参加", False),  # 万 is a surname, but here a number's unit
        # Not cut off alone: 工会 follows 总 inside 总工会.
        ("工会", "市总工会召开会议", False),
        ("工会", "没有这个词", False),
        ("工匠精神", "李工匠精神", False),  # only two-character terms
    ],
)
def test_given_names(term: str, text: str, given: bool) -> None:
    assert is_given_name(term, "", text) is given
    if given:
        assert not readable_in(term, "", text) and not readable_in(term, "", text, standalone=True)
    assert is_given_name(term, text, "") is given  # the title counts as much as the text


def test_byline_names_are_not_readable_in_the_article() -> None:
    text = "本报讯（记者张晓明 通讯员李四）近日，劳模开会。"
    names = byline_names(text)
    assert {"张晓明", "李四"} <= names
    assert not readable_in("张晓明", "", text, names)
    assert readable_in("劳模", "", text, names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本报讯（记者张三 通讯员李四）近日，工会开会。", {"张三", "李四"}),
        ("新华社北京12月31日电 （记者邹伟、王思北）晚会举行。", {"邹伟", "王思北"}),
        ("本报记者 王伟 本报通讯员 李明\n今天开会。", {"王伟", "李明"}),
        ("本报讯 记者 张三 通讯员 李四 近日，工会开会。", {"张三", "李四"}),
        ("记者张晓明日前从市总工会获悉，", {"张晓明"}),
        ("图为比赛现场。赵东山摄（新华社发）", {"赵东山"}),
        ("工会开会。（本报记者 欧阳小明 摄）", {"欧阳小明"}),
        ("工会开会。\n版式设计：张丹峰", {"张丹峰"}),
        ("（通讯员 李四 文/图）", {"李四"}),
    ],
)
def test_byline_names(text: str, expected: set[str]) -> None:
    assert expected <= byline_names(text)


@pytest.mark.parametrize("text", ["记者了解到，工会开会。", "告诉记者：“这很好。”",
                                  "记者节当天，大家聚会。", "今天，记者走进车间看到工人忙碌。"])
def test_no_byline_names_in_running_text(text: str) -> None:
    assert not byline_names(text) & {"了解到", "了解", "这很好", "节当天", "大家聚会", "走进车间"}


def test_byline_field_counts_too() -> None:
    assert "王伟" in byline_names("工会开会。", byline="本报记者 王伟")


@settings(max_examples=150, deadline=None)
@given(st.text(st.sampled_from([*"工会职工劳模记者通讯员张三李摄（）、，。 \n:：/0123"]),
               max_size=120))
def test_byline_names_never_raise_and_are_names(text: str) -> None:
    for name in byline_names(text):
        assert 2 <= len(name.replace("·", "")) <= 12
        assert name in text
        assert "记者" not in name and "通讯员" not in name


@settings(max_examples=150, deadline=None)
@given(st.text(st.sampled_from([*"工会联合快递员职工劳模九届十次余份第三两名家"]), min_size=1,
               max_size=8),
       st.text(st.sampled_from([*"工会联合快递员职工劳模，。 "]), max_size=60))
def test_readable_in_is_stricter_than_the_term_alone(term: str, text: str) -> None:
    if readable_in(term, "", text):
        assert is_readable_term(term)
    if not is_readable_term(term):
        assert not readable_in(term, "", text, standalone=True)
