from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from classifier.cli.app import app

from .conftest import ROOT, seed_path

runner = CliRunner()
RECORD_KEYS = {"source", "id", "article", "title", "labels", "scores", "summary", "keywords",
               "evidence"}


def test_classify_json_has_every_article_with_scores_and_evidence() -> None:
    result = runner.invoke(app, ["classify", str(seed_path("002")), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    articles = payload["articles"]
    assert len(articles) == 10 and payload["errors"] == []
    for record in articles:
        assert RECORD_KEYS <= set(record)
        assert all(0.0 <= s <= 1.0 for s in record["scores"].values())
        assert set(record["evidence"]) == set(record["labels"])
        ranked = [record["scores"][lab] for lab in record["labels"]]
        assert ranked == sorted(ranked, reverse=True)
    competition = next(a for a in articles if a["title"].startswith("陕西启动"))
    assert competition["labels"][0] == "skills_competition"
    assert competition["summary"].startswith("近日，在西安东站项目建设现场")


def test_classify_text_option_and_jsonl_format() -> None:
    text = "本报讯 近日，市总工会为500名快递员、外卖骑手送去清凉慰问品，并推动平台企业建会入会。"
    result = runner.invoke(app, ["classify", "--text", text, "--format", "jsonl", "--top-terms",
                                 "2"])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["source"] == "<text>"
    assert "new_employment_forms" in record["labels"]
    assert all(len(terms) <= 2 for terms in record["evidence"].values())


def test_classify_table_format_names_themes_in_chinese() -> None:
    result = runner.invoke(app, ["classify", str(seed_path("003")), "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "主题" in result.stdout and "摘要" in result.stdout
    assert "劳模工匠" in result.stdout


NEAR_MISS = "本报讯 近日，市总工会召开劳模座谈会，学习贯彻重要讲话精神。"


def test_table_says_why_a_listed_theme_was_not_assigned() -> None:
    """Issue 11: political_guidance scores 0.45 here and is listed, not assigned: its row says
    it stayed below the decision point and which terms raised it."""
    result = runner.invoke(app, ["classify", "--text", NEAR_MISS, "--format", "table"])
    assert result.exit_code == 0, result.output
    rows = result.stdout.split("思想政治引领")[1].split("职工关爱")[0]  # that theme's row
    assert "0.45" in rows and "below 0.50:" in rows and "重要讲话" in rows
    assigned = result.stdout.split("劳模工匠", 2)[2].split("思想政治引领")[0]
    assert "below" not in assigned
    # JSON keeps evidence for the assigned themes only.
    (record,) = json.loads(runner.invoke(app, ["classify", "--text", NEAR_MISS, "-f", "json"])
                           .stdout)["articles"]
    assert set(record["evidence"]) == set(record["labels"]) == {"model_workers_craftsmen"}


def test_classify_usage_and_model_errors() -> None:
    assert runner.invoke(app, ["classify"]).exit_code == 2
    result = runner.invoke(app, ["classify", "--text", "工会", "--model", "no-such-model"])
    assert result.exit_code == 1
    assert "no-such-model" in result.stderr and "Traceback" not in result.output


def test_classify_partial_failure_exit_code(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["classify", str(empty), str(seed_path("000")), "-f", "json"])
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert len(payload["articles"]) == 4
    assert payload["errors"][0]["source"] == str(empty)


def test_models_lists_the_default_model() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    (default,) = [m for m in json.loads(result.stdout)["models"] if m["name"] == "default"]
    assert "skills_competition" in default["labels"]
    assert default["n_examples"] == 1307  # both label files (issue 11)
    assert default["examples_per_label"]["union_building"] >= 1
    assert 0.0 < default["metrics"]["micro_f1"] <= 1.0
    assert default["features"]["read_chars"] == 1800  # what `train --base` must match


def test_classify_does_not_import_scikit_learn() -> None:
    code = (
        "import sys\n"
        "from classifier.cli.app import main\n"
        f"sys.argv = ['classifier', 'classify', {str(seed_path('001'))!r}, '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('sklearn', 'jieba') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["articles"]
