"""The review loop without a browser: the corrections file, the session, the JSON API on a real
loopback server, the ``review`` command, and ``train`` reading the corrections as they are."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from classifier.cli.app import app
from classifier.errors import DataError, OptionError, OutputError
from classifier.model.store import load_model
from classifier.review.app import create_review_app
from classifier.review.corrections import CorrectionsFile, read_corrections
from classifier.review.inputs import read_inputs
from classifier.review.session import PAGE_KEYS, ReviewSession, _marks, theme_keys
from classifier.training.datasets import read_examples

from .classifier_fixtures import make_rows, write_jsonl
from .loopback import ThreadServer


def article_rows(n: int = 12) -> list[dict[str, Any]]:
    """Unlabelled articles for review (ids r0..), from a seed other than the tiny model's."""
    rows = make_rows(seed=11, per_theme=1, negatives=4)[:n]
    return [{"id": f"r{i}", "title": r["title"], "text": r["text"]} for i, r in enumerate(rows)]


def make_session(model_dir: Path, inputs: Path, out: Path) -> ReviewSession:
    """A session as ``classifier review`` builds it."""
    articles, failures = read_inputs([str(inputs)])
    assert not failures
    return ReviewSession(articles, load_model(model_dir), model_name=str(model_dir),
                         model_dir=str(model_dir), corrections=CorrectionsFile(out),
                         retrain_out=out.parent / "retrained")


class LiveServer(ThreadServer):
    """The review app over ``session`` under uvicorn on a free loopback port, in a thread."""

    def __init__(self, session: ReviewSession) -> None:
        self.session = session
        super().__init__(create_review_app(session))


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "articles.jsonl", article_rows())


@pytest.fixture
def live(tiny_model: Path, inputs: Path, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(make_session(tiny_model, inputs, tmp_path / "corrections.jsonl")) as server:
        yield server


# -- keys and marks -------------------------------------------------------------------------------

def test_theme_keys_never_clash_with_the_pages_keys() -> None:
    labels = [f"theme{i}" for i in range(40)]
    keys = theme_keys(labels)
    assert list(keys.values())[:10] == list("1234567890")
    assert len(set(keys.values())) == len(keys) == 34  # 36 keys less the page's two letters
    assert not set(keys.values()) & {k.lower() for k in PAGE_KEYS.values()}


@given(st.text(alphabet="工会职工劳模ab", max_size=40),
       st.lists(st.text(alphabet="工会职工劳模ab", min_size=1, max_size=4), max_size=6))
def test_marks_are_ordered_disjoint_spans_of_the_terms(text: str, terms: list[str]) -> None:
    marks = _marks(text, {t: {"x"} for t in terms})
    ends = [0]
    for m in marks:
        assert m["start"] >= ends[-1] and text[m["start"]:m["end"]] in terms
        ends.append(m["end"])


# -- the corrections file -------------------------------------------------------------------------

def test_every_save_is_on_disk_before_append_returns_and_undo_cuts_only_the_last(
        tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    file = CorrectionsFile(path)
    file.append(id="a", title="标题", text="正文一", labels=["x"], model="m")
    # Read by another handle, as a second process would: the line is there already.
    assert [r["id"] for r in read_corrections(path)] == ["a"]
    file.append(id="b", title="", text="正文二", labels=[], model="m")
    size_after_a = len(path.read_bytes().splitlines(keepends=True)[0])
    assert file.undo()["id"] == "b"
    assert path.stat().st_size == size_after_a
    assert set(read_corrections(path)[0]) == {"id", "title", "text", "labels", "model",
                                              "saved_at"}
    file.close()


def test_a_torn_last_line_is_cut_off_and_saved_ids_are_known_after_a_restart(
        tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    file = CorrectionsFile(path)
    file.append(id="a", title="", text="甲", labels=["x"], model="m")
    file.close()
    with path.open("ab") as f:  # a server killed inside a write leaves half a line
        f.write(b'{"id": "b", "title": "", "te')
    again = CorrectionsFile(path)
    assert again.torn > 0 and set(again.latest()) == {"a"}
    assert path.read_bytes().endswith(b"\n")
    again.append(id="c", title="", text="丙", labels=[], model="m")
    assert [r["id"] for r in read_corrections(path)] == ["a", "c"]
    again.close()


def test_undo_refuses_when_the_file_changed_underneath(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    file = CorrectionsFile(path)
    file.append(id="a", title="", text="甲", labels=[], model="m")
    with path.open("ab") as f:
        f.write(b'{"id": "hand", "text": "t", "labels": []}\n')
    with pytest.raises(OutputError, match="changed on disk"):
        file.undo()
    assert len(read_corrections(path)) == 2
    file.close()


def test_a_file_that_is_not_corrections_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "t", "labels": []}\nnot json\n', "utf-8")
    with pytest.raises(DataError, match=r"c\.jsonl:2"):
        CorrectionsFile(path)


# -- the JSON API on a real server ----------------------------------------------------------------

def test_queue_labels_skip_undo_over_http(live: LiveServer) -> None:
    out = live.session.corrections.path
    with httpx.Client(base_url=live.url) as client:
        queue = client.get("/api/queue", params={"n": 5}).json()
        items = queue["items"]
        assert len(items) == 5 and queue == {"items": items, "saved": 0, "queued": 12}
        assert {"id", "title", "text", "scores", "labels", "summary", "marks", "why"} <= \
            set(items[0])
        order = [x["id"] for x in client.get("/api/queue", params={"n": 12}).json()["items"]]
        assert order[:5] == [x["id"] for x in items]  # suggestion order, stable
        first, second = order[0], order[1]
        theme = live.session.labels[0]
        res = client.post("/api/labels", json={"id": first, "labels": [theme]})
        assert res.status_code == 200 and res.json()["record"]["labels"] == [theme]
        line = json.loads(out.read_text("utf-8"))
        assert line["id"] == first and line["labels"] == [theme] and line["model"]
        assert first not in [x["id"] for x in
                             client.get("/api/queue", params={"n": 20}).json()["items"]]
        bad = client.post("/api/labels", json={"id": second, "labels": ["no_such_theme"]})
        assert bad.status_code == 422 and "no_such_theme" in bad.text
        assert client.post("/api/labels", json={"id": "nope", "labels": []}).status_code == 404
        assert client.post("/api/labels", json={"labels": []}).status_code == 422
        assert client.post("/api/skip", json={"id": second}).status_code == 200
        tail = client.get("/api/queue", params={"n": 20}).json()["items"]
        assert tail[-1]["id"] == second and tail[0]["id"] == order[2]
        undone = client.post("/api/undo").json()
        assert undone["undone"]["id"] == first and undone["undone"]["saved_labels"] == [theme]
        assert out.read_bytes() == b""
        assert client.get("/api/queue", params={"n": 1}).json()["items"][0]["id"] == first
        assert client.post("/api/undo").json()["undone"] is None


def test_openapi_documents_the_pages_endpoints(live: LiveServer) -> None:
    spec = httpx.get(f"{live.url}/openapi.json").json()
    assert {"/api/queue", "/api/labels", "/api/undo", "/api/skip", "/api/retrain"} <= \
        set(spec["paths"])
    labels = spec["paths"]["/api/labels"]["post"]
    assert {"200", "404", "422"} <= set(labels["responses"])
    params = spec["paths"]["/api/queue"]["get"]["parameters"]
    assert params[0]["name"] == "n"


def test_the_page_is_served_with_local_assets_and_escaped_text(
        tiny_model: Path, tmp_path: Path) -> None:
    rows = [{"id": "html", "title": "<b>标题</b>", "text": "职工<script>alert(1)</script>技能"}]
    session = make_session(tiny_model, write_jsonl(tmp_path / "a.jsonl", rows),
                           tmp_path / "c.jsonl")
    with LiveServer(session) as server:
        page = httpx.get(server.url + "/").text
        for asset in ("review.js", "review.css"):
            assert httpx.get(f"{server.url}/static/{asset}").status_code == 200
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "&lt;b&gt;标题" in page
    assert "//cdn" not in page and "https://" not in page
    for label in session.labels:  # every theme shows its key
        assert f'data-key="{session.keys[label]}"' in page


def test_a_restart_with_the_same_out_does_not_queue_saved_articles(
        tiny_model: Path, inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    with LiveServer(make_session(tiny_model, inputs, out)) as server:
        ids = [x["id"] for x in httpx.get(f"{server.url}/api/queue?n=3").json()["items"]]
        for rid in ids[:2]:
            assert httpx.post(f"{server.url}/api/labels",
                              json={"id": rid, "labels": []}).status_code == 200
    with LiveServer(make_session(tiny_model, inputs, out)) as server:
        queue = httpx.get(f"{server.url}/api/queue?n=100").json()
    assert queue["saved"] == 2 and queue["queued"] == 10
    assert not set(ids[:2]) & {x["id"] for x in queue["items"]}


# -- the corrections train as they are ------------------------------------------------------------

def test_train_reads_the_corrections_file_as_it_is(
        tiny_model: Path, inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    session = make_session(tiny_model, inputs, out)
    queue = session.queue_items(12)
    for k, item in enumerate(queue[:6]):
        session.save(item["id"], [session.labels[k % 3]] if k % 2 else [])
    session.save(queue[0]["id"], [session.labels[5]])  # a second thought: the later line wins
    session.undo()
    session.save(queue[0]["id"], [session.labels[4]])
    session.corrections.close()
    examples, bad = read_examples(out)
    assert bad == 0 and len(examples) == 7
    res = CliRunner().invoke(app, ["train", str(out), "--base", str(tiny_model),
                                   "--out", str(tmp_path / "new"), "--cv", "3"])
    assert res.exit_code == 0, res.output
    trained = load_model(tmp_path / "new")
    assert trained.meta["training"]["n_new"] == 6


def test_retrain_endpoint_runs_train_base_and_reports_f1(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.post("/api/retrain").status_code == 409  # nothing saved yet
        items = client.get("/api/queue", params={"n": 6}).json()["items"]
        for item in items:
            client.post("/api/labels", json={"id": item["id"], "labels": item["labels"]})
        started = client.post("/api/retrain")
        assert started.status_code == 202 and started.json()["state"] == "running"
        deadline = time.monotonic() + 240
        while (state := client.get("/api/retrain").json())["state"] == "running":
            assert time.monotonic() < deadline, "retrain did not finish"
            time.sleep(0.5)
    assert state["state"] == "done", state
    assert state["n_corrections"] == 6 and isinstance(state["cv_all_micro_f1"], float)
    # The corrections' own out-of-fold F1, from train's cross-validation.
    assert isinstance(state["cv_corrections_micro_f1"], float)
    assert "--base" in state["command"]
    assert load_model(state["model"]).meta["training"]["n_new"] == 6


# -- the review command ---------------------------------------------------------------------------

def test_review_command_warns_off_loopback_and_hands_the_session_to_the_server(
        tiny_model: Path, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_serve(session: ReviewSession, *, host: str, port: int) -> None:
        served.update(host=host, port=port, queued=session.progress()["queued"])

    monkeypatch.setattr("classifier.review.app.serve_review", fake_serve)
    out = tmp_path / "c.jsonl"
    args = ["review", str(inputs), "--out", str(out), "--model", str(tiny_model)]
    res = CliRunner().invoke(app, [*args, "--host", "0.0.0.0", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert "anyone on the network can" in res.stderr
    assert served == {"host": "0.0.0.0", "port": 8123, "queued": 12}
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0 and "warning" not in res.stderr and served["host"] == "127.0.0.1"
    res = CliRunner().invoke(app, ["review", str(tmp_path / "none.jsonl"), "--out", str(out),
                                   "--model", str(tiny_model)])
    assert res.exit_code != 0 and "none.jsonl" in res.stderr


def test_unknown_labels_are_refused_before_anything_is_written(
        tiny_model: Path, inputs: Path, tmp_path: Path) -> None:
    session = make_session(tiny_model, inputs, tmp_path / "c.jsonl")
    rid = session.queue_items(1)[0]["id"]
    with pytest.raises(OptionError, match="'zzz'"):
        session.save(rid, ["zzz"])
    assert os.path.getsize(tmp_path / "c.jsonl") == 0
    session.corrections.close()
