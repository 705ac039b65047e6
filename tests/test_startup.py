"""What a one-page ``classify`` loads (issue 14): nothing of training, serving or scale-out, and
few costly regexes."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.summary import readable
from classifier.text import clean, normalize
from classifier.text.hanzi import hanzi_count

from .conftest import ROOT, seed_path

# scipy: 0.3 s here, twice numpy (prediction computes on numpy alone); numpy.ma: imported by
# a plain np.unique (~20 ms).
HEAVY = ("sklearn", "scipy", "numpy.ma", "jieba", "fastapi", "uvicorn", "starlette",
         "pydantic", "dask", "distributed", "fsspec", "jinja2", "joblib", "rich")


def _after_one_page_classify(report: str) -> Any:
    """What the expression ``report`` (JSON-ready) holds in a fresh interpreter right after it
    ran ``classifier classify`` on one seed page."""
    code = (
        "import contextlib, gc, io, json, re, sys\n"
        "sys.argv = ['classifier', 'classify', sys.argv[1], '--format', 'json']\n"
        "from classifier.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
        f"print(json.dumps({report}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(seed_path("002"))],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def test_one_page_classify_imports_no_heavy_module() -> None:
    loaded = set(_after_one_page_classify(
        "sorted({m.split('.')[0] for m in sys.modules} | set(sys.modules))"))
    assert "numpy" in loaded and "rjieba" in loaded  # it did classify
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


# CPython compiles a class such as [\u4e00-\u9fff] by marking its 20,992 code points one by one
# (~1.5 ms a copy): a one-page classify compiled ~30 copies, ~45 ms of its start. Patterns
# with one are compiled when first used, or replaced by code that reads the same thing (their
# equivalence is tested below).
_CJK_RANGE = r"\\u4e00-|\\u3400-|\\U00004e00-|\\U00003400-|\u4e00-|\u3400-"
MAX_CJK_RANGES = 3


def test_one_page_classify_compiles_few_cjk_classes() -> None:
    patterns = _after_one_page_classify(
        "sorted({p.pattern for p in gc.get_objects()"
        " if isinstance(p, re.Pattern) and isinstance(p.pattern, str)})")
    assert len(patterns) > 20  # it did compile the cleaner's patterns
    with_cjk = {p: len(re.findall(_CJK_RANGE, p)) for p in patterns if re.search(_CJK_RANGE, p)}
    assert sum(with_cjk.values()) <= MAX_CJK_RANGES, with_cjk


# Byline names: the Python reader and the regexes it stands for until a batch compiles them.
NAME_PIECES = st.sampled_from(
    [*"张三李四王五丰人文图·/、，, \t\u3000\n）)】]：:x1。", "记者", "通讯员", "实习生", "撰稿人",
     "撰稿", "摄影", "本报", "新华社记者", "特约", "文/图", "图 / 文", "阿依古丽", "张三李四王五",
     "\u4e00", "\u9fff", "\u4dff", "\ua000"])


@settings(max_examples=600, deadline=None)
@given(st.lists(NAME_PIECES, max_size=14).map("".join))
def test_byline_name_reader_matches_the_regexes(text: str) -> None:
    after_role, after_mark = re.compile(readable._AFTER_ROLE), re.compile(readable._AFTER_MARK)
    reads = readable._reads
    try:
        for i in range(len(text) + 1):
            readable._reads = itertools.count()  # the Python reader
            m = after_role.match(text, i)
            assert readable._after_role(text, i) == (m["names"] if m else "")
            m = after_mark.match(text, i)
            assert readable._after_mark(text, i) == (m["names"] if m else "")
        readable._reads = itertools.count(readable._REGEX_AFTER)  # the regexes
        m = after_role.match(text)
        assert readable._after_role(text, 0) == (m["names"] if m else "")
    finally:
        readable._reads = reads


# Chinese punctuation settled beside Chinese characters, by one Python pass and by the regexes.
MARK_PIECES = st.sampled_from(
    [*",;:!?()，；：！？（）中a1 “”‘’…。\n\u2017\u2018\u2e80\u3001\u4dbf\u4dc0\u9fff\ua000\uf900"
     "\ufe30\ufe50", "\U00020000", "\U0002fa1f", "\U0002fa20"])


@settings(max_examples=600, deadline=None)
@given(st.lists(MARK_PIECES, max_size=16).map("".join))
def test_python_mark_pass_matches_the_regexes(text: str) -> None:
    by_regex = text
    if any(mark in text for mark in normalize._TO_WIDE):
        by_regex = normalize._widen().sub(normalize._wide, by_regex)
    by_regex = normalize._narrow_mark().sub(normalize._narrow, by_regex)
    assert normalize._settle_marks_here(text) == by_regex


# The cleaner's openings and bracketed bylines, as regexes (what the code replaced).
_LEAD = re.compile(r"^(本报讯|本刊讯|本报消息|据新华社|"
                   r"新华社[\u4e00-\u9fff]{0,8}\d{1,2}月\d{1,2}日电|"
                   r"本报[\u4e00-\u9fff]{0,8}\d{1,2}月\d{1,2}日电|[\u4e00-\u9fff]{2,6}网讯|"
                   r"[（(](全媒体)?记者)")
_TRAILING_BYLINE = re.compile(r"^[（(][\u4e00-\u9fff·]{2,4}((\s+|、)[\u4e00-\u9fff·]{2,4})*[)）]$")
LEAD_PIECES = st.sampled_from(
    [*"（()）网讯中月日电x1１ 、·\n张三\u3400\u4e00\u9fff", "本报讯", "本刊讯", "本报消息",
     "据新华社", "新华社", "本报", "全媒体", "记者", "北京", "12"])


# （张三、李四）: a name, then separators and names, in brackets (and near misses).
NAME = st.sampled_from(["张三", "李四王", "欧阳小明", "阿依古丽·买买提", "张", "张三李四王", "·",
                        "\u4e00\u9fff", "\u3400\u3400", "x张"])
BRACKETED = st.tuples(
    st.sampled_from("（(x"), NAME,
    st.lists(st.tuples(st.sampled_from([" ", "  ", "、", "、、", " 、", "\u3000", "\n", "，", ""]),
                       NAME), max_size=3),
    st.sampled_from(["）", ")", "）\n", "）\n\n", "x"]))


@settings(max_examples=1500, deadline=None)
@given(st.lists(LEAD_PIECES, max_size=10).map("".join),
       BRACKETED)
def test_lead_and_bracketed_byline_match_the_regexes(
        text: str, parts: tuple[str, str, list[tuple[str, str]], str]) -> None:
    assert clean.is_lead(text) == bool(_LEAD.match(text))
    opener, first, more, closer = parts
    byline = opener + first + "".join(sep + name for sep, name in more) + closer
    for line in (text, byline):
        assert clean._is_trailing_byline(line) == bool(_TRAILING_BYLINE.match(line))


@settings(max_examples=600, deadline=None)
@given(st.text(st.sampled_from([*"中文\u3400\u33ff\u4dff\u4e00\u9fff\ua000a1 \n·"]), max_size=6),
       st.integers(0, 7))
def test_hanzi_tests_match_the_regexes(text: str, start: int) -> None:
    assert readable._all_hanzi(text) == bool(re.match(r"^[\u3400-\u9fff]+$", text))
    run = re.compile(r"[\u4e00-\u9fff]{0,4}").match(text, min(start, len(text)))
    assert hanzi_count(text, start, 4) == (len(run[0]) if run and start <= len(text) else 0)
