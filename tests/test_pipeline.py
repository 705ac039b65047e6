from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import InputError
from classifier.text.article import Failure
from classifier.text.jsonl import article_from_record
from classifier.text.reader import read_articles

from .conftest import seed_path, seed_text

runner = CliRunner()


def test_read_articles_from_files_in_any_encoding(tmp_path: Path) -> None:
    text = seed_text("003")
    paths = []
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        path = tmp_path / f"page.{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        paths.append(str(path))
    big5 = tmp_path / "page.big5.txt"
    page = "汕尾市總工會\n\n培訓工會經審幹部\n\n本報訊 日前，汕尾市總工會舉辦培訓班。"
    big5.write_bytes(page.encode("big5"))
    items = list(read_articles([*paths, str(big5)]))
    assert not [i for i in items if isinstance(i, Failure)]
    titles = [a.title for a in items]  # type: ignore[union-attr]
    assert titles.count("湛江市总工会 保障宣传宣讲工作有力有序推进") == 3
    assert "汕尾市总工会 培训工会经审干部" in titles


def test_unreadable_inputs_become_failures(tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    items = list(read_articles([str(binary), str(empty), str(tmp_path / "missing.txt"),
                                str(seed_path("000"))]))
    failures = [i for i in items if isinstance(i, Failure)]
    assert [f.source for f in failures] == [str(binary), str(empty), str(tmp_path / "missing.txt")]
    assert "binary" in failures[0].error and "empty" in failures[1].error
    assert len(items) - len(failures) == 4


def test_jsonl_records_keep_their_ids(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "職工書屋開放", "text": "本报讯 职工书屋开放。"}),
        "",
        "{not json",
        json.dumps({"id": 7, "text": "劳模座谈会\n本报讯 劳模座谈会召开。"}),
        json.dumps({"id": "x", "title": 3, "text": "t"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_articles([str(path)]))
    first, bad_json, second, bad_title = items
    assert not isinstance(first, Failure) and first.key == "a1"
    assert first.title == "职工书屋开放" and first.text == "本报讯 职工书屋开放。"
    assert isinstance(bad_json, Failure) and bad_json.line == 3 and "invalid JSON" in bad_json.error
    assert not isinstance(second, Failure) and second.key == "7" and second.title == "劳模座谈会"
    assert isinstance(bad_title, Failure) and '"title" must be a string' in bad_title.error


def test_record_without_text_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r'data\.jsonl:4: record has no "text"'):
        article_from_record({"id": 1}, source="data.jsonl", line=4)


def test_split_command_prints_one_json_object_per_article() -> None:
    result = runner.invoke(app, ["split", str(seed_path("002"))])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 10
    assert {"source", "article", "title", "text", "editor_summary", "dropped"} <= set(records[0])
    assert "“退休了还被‘娘家人’惦记着”" in records[8]["title"]
    assert records[8]["editor_summary"].startswith("建立驿站")


def test_split_command_no_split_and_stdin() -> None:
    result = runner.invoke(app, ["split", "--no-split", "-"], input=seed_text("000"))
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["source"] == "<stdin>"
    assert "国家网络安全宣传周" in record["text"]


def test_split_command_reports_bad_files_with_exit_code_3(tmp_path: Path) -> None:
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02\x03" * 100)
    result = runner.invoke(app, ["split", str(binary), str(seed_path("004"))])
    assert result.exit_code == 3
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["source"] == str(binary) and "binary" in records[0]["error"]
    assert len(records) == 10
    assert "Traceback" not in result.output


def test_split_command_oversized_file_is_a_clear_error() -> None:
    result = runner.invoke(app, ["split", "--max-bytes", "1000", str(seed_path("001"))])
    assert result.exit_code == 1  # nothing could be done: 1, as classify and label say (item 25)
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert "over the" in record["error"] and "--max-bytes" in record["error"]
    assert "Traceback" not in result.output
