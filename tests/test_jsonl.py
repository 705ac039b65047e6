"""The one JSONL reader (classifier.text.jsonl): the same policy for every command and ``label``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.labelling.runner import label
from classifier.text.article import Article, Failure
from classifier.text.jsonl import JsonlFile, sniff_encoding
from classifier.text.reader import read_articles

from .conftest import read_records

runner = CliRunner()

ROWS = [{"id": "a", "title": "市总工会开展夏送清凉",
         "text": "本报讯 市总工会为户外劳动者送去清凉。"},
        {"id": "b", "text": "職工技能大賽在廣州舉行，一線職工踴躍參賽。"}]
BAD_LINES = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "digits": '{"id": "n", "text": "x", "n": ' + "9" * 5000 + "}",
    "surrogate": '{"id": "s", "text": "坏\\ud800字"}',
    "not json": "{oops",
    "no text": '{"id": "t", "title": "只有标题"}',
}


def jsonl_bytes(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(encoding)


def articles_of(path: Path, max_bytes: int = 1 << 20) -> list[Article | Failure]:
    return list(read_articles([str(path)], max_bytes=max_bytes))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "big5", "utf-16"])
def test_every_encoding_reads_the_same_records(tmp_path: Path, encoding: str,
                                               tiny_model: Path) -> None:
    rows = ROWS if encoding != "big5" else [ROWS[1]]  # Big5 has no simplified 职工
    path = tmp_path / f"in-{encoding}.jsonl"
    data = jsonl_bytes(rows, encoding)
    if encoding == "big5":
        import opencc

        data = opencc.OpenCC("s2t").convert(data.decode("big5")).encode("big5")
    path.write_bytes(data)
    found = articles_of(path)
    assert [a.key for a in found if isinstance(a, Article)] == [r["id"] for r in rows]
    # label reads the very same lines: one record each, no error record (issue 10)
    out = tmp_path / "out.jsonl"
    summary = label([str(path)], out=out, model=tiny_model, workers=1, progress=False)
    records = read_records(out)
    assert summary.errors == 0
    assert [r["id"] for r in records] == [r["id"] for r in rows]
    assert records[0]["title"] == found[0].title  # type: ignore[union-attr]


def test_sniff_encoding_refuses_binary_and_empty() -> None:
    from classifier.errors import InputError

    with pytest.raises(InputError, match="looks binary"):
        sniff_encoding(b"\x00" * 4096, "zero.jsonl")
    with pytest.raises(InputError, match="empty"):
        sniff_encoding(b"  \n\n", "blank.jsonl")
    assert sniff_encoding("{}\n".encode("utf-16"), "x") == "utf-16"


def test_dev_zero_is_refused_without_reading_it(tmp_path: Path, tiny_model: Path) -> None:
    """A .jsonl symlink to /dev/zero: one error, memory bounded (issue 15, item 17)."""
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    (failure,) = articles_of(link)
    assert isinstance(failure, Failure) and "looks binary" in failure.error
    out = tmp_path / "out.jsonl"
    label([str(link)], out=out, model=tiny_model, workers=1, progress=False)
    assert [r["error"] for r in read_records(out)] == [failure.error]


def test_line_limit_is_per_line_in_every_command(tmp_path: Path, tiny_model: Path) -> None:
    long = {"id": "long", "text": "长" * 400}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl_bytes([ROWS[0], long, ROWS[1]]))
    found = articles_of(path, max_bytes=300)
    assert [type(a).__name__ for a in found] == ["Article", "Failure", "Article"]
    assert isinstance(found[1], Failure) and found[1].line == 2
    assert "mixed.jsonl:2: record is over the 300-byte limit" in found[1].error
    out = tmp_path / "out.jsonl"
    label([str(path)], out=out, model=tiny_model, workers=1, progress=False, max_bytes=300)
    assert [r.get("error", r.get("id")) for r in read_records(out)] == [
        "a", found[1].error, "b"]


def test_a_line_over_the_limit_is_never_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    path.write_bytes(b'{"text": "' + b"x" * (3 << 20) + b'"}\n' + jsonl_bytes([ROWS[0]]))
    with JsonlFile(str(path), max_bytes=1000) as f:
        lines = list(f.lines())
    assert [(r.number, r.data is None) for r in lines] == [(1, True), (2, False)]
    assert lines[0].nbytes == (3 << 20) + 13


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_a_bad_line_is_one_error_record_and_neighbours_are_labelled(
        tmp_path: Path, tiny_model: Path, kind: str) -> None:
    """Issue 15, items 5 and 9: no lost chunk, no traceback in any command."""
    good = [json.dumps({"id": f"g{i}", "text": f"第{i}条 职工技能竞赛。"}, ensure_ascii=False)
            for i in range(40)]
    lines = [*good[:20], BAD_LINES[kind], *good[20:]]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    summary = label([str(path)], out=out, model=tiny_model, workers=1, progress=False)
    records = read_records(out)
    assert summary.articles == 40 and summary.errors == 1
    (error,) = [r for r in records if "error" in r]
    assert error["line"] == 21 and "bad.jsonl:21:" in error["error"]
    assert "unexpected" not in error["error"]
    for command in (["classify", "--format", "jsonl", "--model", str(tiny_model)], ["split"],
                    ["summarize", "--format", "jsonl"]):
        result = runner.invoke(app, [*command, str(path)])
        assert result.exit_code == 3, (command, result.output)
        assert "Traceback" not in result.output
        printed = [json.loads(line) for line in result.stdout.splitlines()]
        assert sum("error" in r for r in printed) == 1
        assert sum("error" not in r for r in printed) == 40


def test_damaged_bytes_in_a_line_are_replaced_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "damaged.jsonl"
    good = jsonl_bytes([ROWS[0]] * 30)
    path.write_bytes(good + '{"id": "d", "text": "职工说坏'.encode() + b"\xff"
                     + '字了，这一行还要照常读完。"}\n'.encode())
    *_, article = articles_of(path)
    assert isinstance(article, Article)
    assert article.text == "职工说坏\ufffd字了，这一行还要照常读完。"
    assert [d.reason for d in article.dropped] == ["encoding"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=6))
def test_any_text_round_trips_through_a_jsonl_line(tmp_path_factory: pytest.TempPathFactory,
                                                   texts: list[str]) -> None:
    path = tmp_path_factory.mktemp("j") / "t.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                            for i, t in enumerate(texts)), "utf-8")
    found = articles_of(path)
    assert len(found) == len(texts)
    for i, item in enumerate(found):
        assert isinstance(item, (Article, Failure))
        if isinstance(item, Article):
            assert item.key == str(i)
        else:  # only lone surrogates are refused
            assert "surrogate" in item.error
