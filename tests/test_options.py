"""Options are validated when a call starts, with one table of ranges shared by the library,
the batch runner and the HTTP schema (issue 10)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from classifier.errors import OptionError, UsageError
from classifier.labelling.options import LIMITS, Options
from classifier.labelling.output import CSV_COLUMNS, csv_header, format_records
from classifier.labelling.records import LABEL_FIELDS, LabelRecord
from classifier.labelling.runner import label
from classifier.service.app import ClassifyRequest
from classifier.text.article import Failure
from classifier.training.trainer import TrainSettings

from .conftest import read_records, seed_path


@pytest.mark.parametrize("field,value", [
    ("keywords", -1), ("keywords", 51), ("top_terms", -1), ("sentences", 0),
    ("max_chars", 1), ("max_chars", 10_001), ("sentences", 2.5), ("keywords", True),
])
def test_out_of_range_option_names_option_and_range(field: str, value: object) -> None:
    with pytest.raises(OptionError) as info:
        Options(**{field: value})  # type: ignore[arg-type]
    low, high = LIMITS[field]
    assert field in str(info.value) and f"{low:,} to {high:,}" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UsageError)


def test_unknown_summary_method() -> None:
    with pytest.raises(OptionError, match="method must be one of lead, textrank"):
        Options(method="random")


def test_bad_options_fail_before_any_output(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.jsonl"
    with pytest.raises(OptionError, match="workers"):
        label([str(seed_path("000"))], out=out, workers=0, model=tiny_model)
    with pytest.raises(OptionError, match="max_bytes"):
        label([str(seed_path("000"))], out=out, max_bytes=-5, model=tiny_model)
    assert not out.exists()


def test_zero_keywords_is_a_choice_not_an_error(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = label([str(seed_path("000"))], out=out, options=Options(keywords=0),
                    model=tiny_model, progress=False)
    records = read_records(out)
    assert summary.errors == 0 and records
    assert all(r["keywords"] == [] for r in records)


def test_http_schema_bounds_are_the_library_bounds() -> None:
    schema = ClassifyRequest.model_json_schema()["properties"]
    for name, (low, high) in LIMITS.items():
        assert (schema[name]["minimum"], schema[name]["maximum"]) == (low, high)


def test_train_settings_are_validated() -> None:
    with pytest.raises(OptionError, match="cv must be 0"):
        TrainSettings(cv=1)
    with pytest.raises(OptionError, match="estimator must be one of"):
        TrainSettings(estimator="forest")
    with pytest.raises(OptionError, match="C must be > 0"):
        TrainSettings(c=0)


def record(**extra: object) -> LabelRecord:
    values: dict[str, object] = {
        "source": "s", "id": "i\nj", "article": 0, "title": "题", "labels": ["a"],
        "scores": {"a": 0.9}, "summary": "摘要", "keywords": ["词"], "evidence": {"a": []}}
    values.update(extra)
    return LabelRecord(**values)  # type: ignore[arg-type]


def test_csv_columns_come_from_the_record_and_rows_read_by_name() -> None:
    assert CSV_COLUMNS == (*LABEL_FIELDS, "error", "line")
    text = csv_header() + format_records([record(), Failure("s", "bad\nline", 7)], "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["id"] == "i j" and rows[0]["labels"] == "a" and rows[0]["error"] == ""
    assert rows[1]["error"] == "bad line" and rows[1]["line"] == "7" and rows[1]["id"] == ""
    assert list(record().to_dict()) == list(LABEL_FIELDS)


def test_http_zero_keywords_and_one_error_shape(tiny_model: Path) -> None:
    import httpx

    from classifier.service.app import create_app

    from .loopback import ThreadServer

    with ThreadServer(create_app(str(tiny_model))) as srv, \
            httpx.Client(base_url=srv.url, timeout=30) as client:
        ok = client.post("/classify", json={"text": "本报讯 职工技能大赛举行。", "keywords": 0})
        assert ok.status_code == 200
        assert all(a["keywords"] == [] for a in ok.json()["articles"])
        bad = client.post("/classify", json={"text": "x", "keywords": -1})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "keywords"]
