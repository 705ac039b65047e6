"""The HTTP service against a real uvicorn server on an ephemeral loopback port (issue 6).

Most tests share one in-process server (uvicorn in a background thread, bound to a socket on
127.0.0.1:0) that analyzes in two analysis processes (issue 14; tests/test_hardening_service.py
runs its server with ``processes=0``, the one-thread mode); the signal tests run
``python -m classifier serve`` in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from classifier.errors import ModelError, ServiceError
from classifier.model.store import load_model, save_model
from classifier.service import jobs
from classifier.service.app import WORKERS_ENV, ClassifyRequest, create_app, is_loopback
from classifier.service.pool import PROCESSES_ENV, Analyzer, default_processes
from classifier.service.runner import ModelHolder

from .conftest import ROOT, seed_text
from .loopback import ThreadServer

LIMIT = 200_000  # body limit of the test server: small enough to test 413 cheaply
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals needed")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A private copy of the shipped model (or the tiny test model when none is shipped yet),
    so reload tests may overwrite it."""
    shipped = ROOT / "models" / "default"
    source = shipped if (shipped / "meta.json").is_file() else request.getfixturevalue(
        "tiny_model")
    target = tmp_path_factory.mktemp("serve") / "model"
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def server(model_dir: Path) -> Iterator[ThreadServer]:
    with ThreadServer(create_app(str(model_dir), max_body_bytes=LIMIT, processes=2)) as srv:
        yield srv


@pytest.fixture()
def client(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def page(chars: int = 3000) -> str:
    """About ``chars`` characters of a real union page (seed 002)."""
    return seed_text("002")[:chars]


# -- endpoints ---------------------------------------------------------------------------------

def test_health_themes_model(client: httpx.Client, model_dir: Path) -> None:
    model = load_model(model_dir)
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["labels"] == len(model.labels)
    assert health["model"] == str(model_dir) and health["generation"] >= 1
    themes = client.get("/themes").json()["themes"]
    assert [t["id"] for t in themes] == model.labels
    assert all(t["zh"] and t["en"] for t in themes)
    meta = client.get("/model").json()
    assert meta["files"] == model.meta["files"] and meta["created_at"] == model.meta["created_at"]
    assert client.get("/docs").status_code == 200
    assert "/classify" in client.get("/openapi.json").json()["paths"]


def test_classify_text_gives_label_records(client: httpx.Client) -> None:
    r = client.post("/classify", json={"text": page(), "top_terms": 2})
    assert r.status_code == 200, r.text
    articles = r.json()["articles"]
    assert articles
    first = articles[0]
    assert list(first) == ["source", "id", "article", "title", "labels", "scores", "summary",
                           "keywords", "evidence"]
    assert first["source"] == "<text>" and first["id"] == "<text>#0"
    assert set(first["labels"]) <= set(first["scores"])
    assert first["summary"] and first["keywords"]
    assert all(len(terms) <= 2 for terms in first["evidence"].values())


def test_classify_matches_library(client: httpx.Client, model_dir: Path) -> None:
    from classifier.labelling.analysis import analyze
    from classifier.labelling.options import Options
    from classifier.text.reader import articles_from_text

    expected = [r.to_dict() for r in analyze(articles_from_text(page(), source="<text>"),
                                             load_model(model_dir), Options())]
    got = client.post("/classify", json={"text": page()}).json()["articles"]
    assert json.loads(json.dumps(expected, ensure_ascii=False)) == got


def test_classify_summary_and_keyword_options(client: httpx.Client) -> None:
    body = {"text": page(), "sentences": 1, "max_chars": 40, "keywords": 2, "top_terms": 0}
    (first, *_) = client.post("/classify", json=body).json()["articles"]
    assert 0 < len(first["summary"]) <= 40 and len(first["keywords"]) <= 2
    assert all(terms == [] for terms in first["evidence"].values())


def test_classify_can_explain_near_misses(client: httpx.Client) -> None:
    body = {"text": page(), "explain_unassigned": 2}
    (first, *_) = client.post("/classify", json=body).json()["articles"]
    unassigned = set(first["evidence"]) - set(first["labels"])
    assert set(first["labels"]) <= set(first["evidence"]) and len(unassigned) == 2
    ranked = sorted(first["scores"], key=lambda lab: -first["scores"][lab])
    assert unassigned == set([lab for lab in ranked if lab not in first["labels"]][:2])
    r = client.post("/classify", json={"text": page(), "explain_unassigned": 51})
    assert r.status_code == 422 and "explain_unassigned" in r.text


def test_classify_texts_title_and_split(client: httpx.Client) -> None:
    texts = [page(1500), "", seed_text("003")[:1200]]
    got = client.post("/classify", json={"texts": texts}).json()["articles"]
    sources = [a["source"] for a in got]
    assert "<texts[0]>" in sources and "<texts[2]>" in sources
    assert "<texts[1]>" not in sources  # empty text: no article
    titled = client.post("/classify",
                         json={"text": "职工技能大赛在广州举行。", "title": "技能比武"})
    (art,) = titled.json()["articles"]
    assert art["title"] == "技能比武"
    whole = client.post("/classify", json={"texts": [seed_text("001")], "split": False})
    assert len(whole.json()["articles"]) == 1


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "  \n\t "}, {"texts": []},
                                  {"texts": ["", " "]}])
def test_empty_text_is_an_empty_result(client: httpx.Client, body: dict[str, Any]) -> None:
    for path in ("/classify", "/summarize"):
        r = client.post(path, json=body)
        assert r.status_code == 200 and r.json() == {"articles": []}


def test_summarize(client: httpx.Client) -> None:
    r = client.post("/summarize", json={"text": page(), "sentences": 1, "max_chars": 60,
                                        "method": "textrank"})
    assert r.status_code == 200, r.text
    (first, *_) = r.json()["articles"]
    assert list(first) == ["source", "id", "article", "title", "summary", "keywords"]
    assert 0 < len(first["summary"]) <= 60
    many = client.post("/summarize", json={"texts": [page(800), page(1600)]}).json()
    assert len(many["articles"]) >= 2


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("path, content, needle", [
    ("/classify", b'{"text": "abc"', "JSON decode error"),
    ("/classify", b"not json", "JSON decode error"),
    ("/classify", b"{}", "exactly one of"),
    ("/classify", b'{"text": "a", "texts": ["b"]}', "exactly one of"),
    ("/classify", b'{"text": 5}', "valid string"),
    ("/classify", b'{"texts": "abc"}', "valid list"),
    ("/classify", b'{"text": "a", "top_terms": "5"}', "valid integer"),
    ("/classify", b'{"text": "a", "split": "yes"}', "valid boolean"),
    ("/classify", b'{"text": "a", "top_terms": -1}', "greater than or equal"),
    ("/classify", b'{"txt": "a"}', "Extra inputs"),
    ("/classify", b'["a"]', "valid dictionary"),
    ("/summarize", b'{"text": "a", "method": "best"}', "lead"),
    ("/summarize", b'{"text": "a", "max_chars": 1}', "greater than or equal"),
])
def test_bad_requests_are_422(client: httpx.Client, path: str, content: bytes,
                              needle: str) -> None:
    r = client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert needle in json.dumps(r.json()["detail"])


def test_body_over_limit_is_413_by_content_length(client: httpx.Client) -> None:
    body = json.dumps({"text": "工" * LIMIT}).encode()  # \uXXXX escapes: 6 bytes a char
    r = client.post("/classify", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def _chunks(total: int, size: int = 16_384) -> Iterator[bytes]:
    yield b'{"text": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'"}'


def test_chunked_body_over_limit_is_413(client: httpx.Client) -> None:
    r = client.post("/classify", content=_chunks(2 * LIMIT),
                    headers={"content-type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert r.status_code == 413


def test_chunked_body_under_limit_is_served(client: httpx.Client) -> None:
    r = client.post("/summarize", content=_chunks(LIMIT // 4),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200 and len(r.json()["articles"]) == 1


# -- where the analysis runs (issue 14) --------------------------------------------------------

def _analyzer(server: ThreadServer) -> Analyzer:
    analyzer: Analyzer = server.server.config.app.state.analyzer
    return analyzer


def _library_body(model_dir: Path, texts: list[tuple[str, str]]) -> bytes:
    """What FastAPI answered for ``(source, text)`` pairs before issue 14: the library's
    records, encoded by pydantic as a ``dict[str, Any]`` response."""
    from pydantic import TypeAdapter

    from classifier.labelling.analysis import analyze
    from classifier.labelling.options import Options
    from classifier.text.reader import articles_from_text

    articles = [a for source, text in texts for a in articles_from_text(text, source=source)
                if a.title or a.text]
    records = [r.to_dict() for r in analyze(articles, load_model(model_dir), Options())]
    return TypeAdapter(dict[str, Any]).dump_json({"articles": records})


def test_classify_body_is_byte_for_byte_the_records(client: httpx.Client,
                                                    model_dir: Path) -> None:
    r = client.post("/classify", json={"text": page()})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == _library_body(model_dir, [("<text>", page())])
    assert b"\\u" not in r.content  # Chinese written as UTF-8 (ensure_ascii=False)


def test_long_texts_lists_are_cut_into_jobs_with_the_same_records(
        client: httpx.Client, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "JOB_CHARS", 1000)
    texts = [seed_text(n)[:900] for n in ("000", "001", "002", "003", "004")]
    req = ClassifyRequest(texts=texts)
    assert len(jobs.make_jobs("classify", req, {})) == 5  # one job per text here
    r = client.post("/classify", json={"texts": texts})
    assert r.status_code == 200
    assert r.content == _library_body(model_dir, [(f"<texts[{i}]>", t)
                                                  for i, t in enumerate(texts)])


def test_analysis_runs_in_other_processes_which_are_replaced_when_they_die(
        server: ThreadServer, client: httpx.Client) -> None:
    analyzer = _analyzer(server)
    pids = analyzer.pids
    assert len(pids) == 2 and os.getpid() not in pids
    os.kill(pids[0], signal.SIGKILL)
    for _ in range(4):  # the job sent to the dead process goes to the other one
        r = client.post("/classify", json={"text": page(600)})
        assert r.status_code == 200 and r.json()["articles"]
    deadline = time.monotonic() + 60
    while len(analyzer.pids) < 2 or pids[0] in analyzer.pids:
        assert time.monotonic() < deadline, "no process replaced the one that was killed"
        time.sleep(0.1)
    assert pids[1] in analyzer.pids and _gone({pids[0]})


def test_reload_starts_new_analysis_processes_and_stops_the_old(
        server: ThreadServer, client: httpx.Client) -> None:
    analyzer = _analyzer(server)
    old = set(analyzer.pids)
    assert client.post("/admin/reload", json={}).status_code == 200
    new = set(analyzer.pids)
    assert len(new) == 2 and not new & old
    deadline = time.monotonic() + 30
    while not _gone(old):
        assert time.monotonic() < deadline, "the old analysis processes still run"
        time.sleep(0.1)
    assert client.post("/classify", json={"text": page(300)}).status_code == 200


def test_stopping_the_server_stops_its_analysis_processes(tiny_model: Path) -> None:
    with ThreadServer(create_app(str(tiny_model), processes=1)) as srv:
        pids = set(_analyzer(srv).pids)
        assert len(pids) == 1
        r = httpx.post(srv.url + "/summarize", json={"text": "本报讯 职工技能大赛举行。"})
        assert r.status_code == 200 and r.json()["articles"]
    deadline = time.monotonic() + 30
    while not _gone(pids):
        assert time.monotonic() < deadline, "an analysis process outlived its server"
        time.sleep(0.1)


def test_a_script_without_a_main_guard_serves_and_leaves_no_process(
        tiny_model: Path, tmp_path: Path) -> None:
    """The analysis processes are forked by the service's own fork server, not by
    multiprocessing's, which would run such a script again in every process."""
    script = tmp_path / "serve_once.py"
    script.write_text(
        "import json, httpx\n"
        "from classifier.service.app import create_app\n"
        "from tests.loopback import ThreadServer\n"
        f"with ThreadServer(create_app({str(tiny_model)!r}, processes=1)) as srv:\n"
        "    r = httpx.post(srv.url + '/classify', json={'text': '本报讯 职工技能大赛举行。'})\n"
        "    pids = srv.server.config.app.state.analyzer.pids\n"
        "print(json.dumps({'status': r.status_code, 'pids': pids}))\n", "utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["status"] == 200 and len(out["pids"]) == 1
    assert _gone(set(out["pids"]))


def test_an_analysis_process_that_cannot_load_the_model_is_a_model_error(
        tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nosuch"):
        Analyzer(1).prepare(str(tmp_path / "nosuch"), load_model(tiny_model))


def test_default_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert default_processes() == 3  # one per usable core
    assert default_processes(workers=2) == 0  # uvicorn workers analyze themselves
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert default_processes() == 0  # one core: a thread of the server process
    monkeypatch.setenv(PROCESSES_ENV, "1")
    assert default_processes() == 1
    monkeypatch.setenv(PROCESSES_ENV, "two")
    with pytest.raises(ServiceError, match="two"):
        default_processes()
    monkeypatch.setenv(WORKERS_ENV, "2")
    monkeypatch.setenv(PROCESSES_ENV, "")
    assert create_app("default").state.analyzer.processes == 0  # nothing started yet


def test_openapi_documents_the_same_answers(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, name in (("/classify", "Classify"), ("/summarize", "Summarize")):
        post = paths[path]["post"]
        assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
            "additionalProperties": True, "type": "object",
            "title": f"Response {name} {name} Post"}
        assert post["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{name}Request"}
        assert "422" in post["responses"]


# -- reload ------------------------------------------------------------------------------------

def test_admin_reload_swaps_in_the_new_model(client: httpx.Client, model_dir: Path) -> None:
    before = client.get("/health").json()["generation"]
    model = load_model(model_dir)
    model.meta["serve_test"] = "retrained"
    save_model(model, model_dir)  # atomic replace of the directory, as `train` does
    r = client.post("/admin/reload", json={})
    assert r.status_code == 200 and r.json()["generation"] == before + 1
    assert client.get("/model").json()["serve_test"] == "retrained"


def test_failed_reload_keeps_the_old_model(client: httpx.Client, model_dir: Path) -> None:
    before = client.get("/health").json()["generation"]
    meta = model_dir / "meta.json"
    good = meta.read_bytes()
    try:
        meta.write_text("{broken", "utf-8")
        r = client.post("/admin/reload", json={})
        assert r.status_code == 500 and "still serving generation" in r.json()["detail"]
        health = client.get("/health").json()
        assert health["generation"] == before and "meta.json" in health["last_error"]
        assert client.post("/classify", json={"text": page(500)}).status_code == 200
    finally:
        meta.write_bytes(good)
    assert client.post("/admin/reload", json={}).json()["generation"] == before + 1


def test_reload_refused_for_non_loopback_clients(model_dir: Path) -> None:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(str(model_dir)),
                                        client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.post("/admin/reload")

    r = asyncio.run(call())
    assert r.status_code == 403 and "loopback" in r.json()["detail"]
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("10.0.0.1")
    assert not is_loopback(None) and not is_loopback("testclient")


def test_reload_while_requests_are_in_flight(client: httpx.Client, server: ThreadServer) -> None:
    statuses: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for _ in range(200):  # bounded even if `stop` were never set
                if stop.is_set():
                    return
                try:
                    statuses.append(c.post("/classify", json={"text": page(1500)}).status_code)
                except httpx.HTTPError as exc:
                    errors.append(exc)

    before = client.get("/health").json()["generation"]
    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(4):  # each starts two new analysis processes while requests run
            assert client.post("/admin/reload", json={}).status_code == 200
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors and statuses and set(statuses) == {200}
    assert client.get("/health").json()["generation"] == before + 4


def test_holder_swaps_one_reference(model_dir: Path) -> None:
    holder = ModelHolder(model_dir)
    assert holder.health()["status"] == "loading" and holder.generation == 0
    first = holder.load()
    kept = holder.model  # what a request in flight holds
    second = holder.reload()
    assert (first.generation, second.generation) == (1, 2)
    assert holder.model is second.model and kept is first.model and kept is not holder.model


# -- the real command in a subprocess: SIGHUP reload and SIGTERM --------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m classifier serve ARGS`` in its own process group, output to ``log`` (a file,
    not a pipe: a full pipe would block the server's logging)."""
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "classifier", "serve", *args], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the server's process group (master and workers) if it is still running."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _wait_health(url: str, proc: subprocess.Popen[bytes], want: int = 1) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited early"
        try:
            health: dict[str, Any] = httpx.get(url + "/health", timeout=2).json()
            if health["generation"] >= want:
                return health
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"no generation {want} at {url}/health within 30 s")


def test_serve_command_sighup_reload_and_sigterm_exit(model_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    proc = _start(["--port", str(port), "--workers", "1", "--model", str(model_dir),
                   "--max-body-bytes", "1000"], log)
    try:
        first = _wait_health(url, proc)
        assert first["pid"] == proc.pid and first["generation"] == 1
        assert httpx.post(url + "/classify", json={"text": "工" * 1000}).status_code == 413
        os.kill(proc.pid, signal.SIGHUP)
        second = _wait_health(url, proc, want=2)
        assert second["loaded_at"] != first["loaded_at"]
        assert httpx.post(url + "/classify", json={"text": page(200)}).status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    finally:
        _stop(proc)
    text = log.read_text("utf-8")
    assert proc.returncode == 0, text
    assert "reloaded model" in text and "Traceback" not in text


def test_serve_command_bad_model_is_a_clean_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from classifier.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "not found" in result.output and "Traceback" not in result.output


def _pids(url: str, tries: int) -> set[int]:
    """Worker pids answering /health over fresh connections (the kernel spreads accepts)."""
    return {int(httpx.get(url + "/health", timeout=10).json()["pid"]) for _ in range(tries)}


def _wait_log(log: Path, proc: subprocess.Popen[bytes], needle: str, count: int) -> str:
    """The server log once ``needle`` appears ``count`` times in it (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text("utf-8", errors="replace")
        if text.count(needle) >= count:
            return text
        assert proc.poll() is None, text
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not seen {count} times:\n{text}")


def _started_pids(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", text)]


def _gone(pids: set[int]) -> bool:
    """Whether none of these processes runs any more (the master reaps its workers)."""
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        return False
    return True


def _replaced(log: Path, proc: subprocess.Popen[bytes], old: set[int], ready: int) -> set[int]:
    """Wait until ``ready`` workers in all have started and the ``old`` ones are gone; the
    pids now serving. Driven by the master's log and the process table, not by sampling
    connections, so it cannot race with the restart (issue 15, item 28)."""
    text = _wait_log(log, proc, "Application startup complete", ready)
    deadline = time.monotonic() + 60
    while not _gone(old):
        assert time.monotonic() < deadline, "old workers still running"
        time.sleep(0.1)
    new = set(_started_pids(text)) - old
    return new


def _keep_alive_client(url: str, stop: threading.Event,
                       results: list[tuple[int, int]]) -> None:
    """POST /classify over one keep-alive connection until ``stop``; a request that fails
    without an answer is sent once more on a new connection, as the README tells clients to.
    Records (status, attempts); status 0: failed twice."""
    c = httpx.Client(base_url=url, timeout=30)
    try:
        while not stop.is_set():
            for attempt in (1, 2):
                try:
                    r = c.post("/classify", json={"text": "职工技能大赛在广州举行。"})
                except httpx.TransportError:
                    if attempt == 2:
                        results.append((0, attempt))
                    c.close()
                    c = httpx.Client(base_url=url, timeout=30)
                    continue
                results.append((r.status_code, attempt))
                time.sleep(0.1)  # steady keep-alive clients that leave the workers CPU to start
                break
    finally:
        c.close()


@pytest.mark.slow
def test_serve_command_two_workers_reload_replaces_them(tiny_model: Path,
                                                        tmp_path: Path) -> None:
    """Issue 15: /admin/reload reaches every worker (item 14); keep-alive clients that retry
    once as documented lose no request while both workers are replaced (item 19); the
    restart is followed through the master's log, not by sampling connections (item 28)."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)  # small: four worker starts in this test
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    proc = _start(["--port", str(port), "--workers", "2", "--model", str(model)], log)
    results: list[tuple[int, int]] = []
    try:
        first = set(_started_pids(_wait_log(log, proc, "Application startup complete", 2)))
        assert len(first) == 2 and proc.pid not in first
        assert _pids(url, 6) <= first
        stop = threading.Event()
        clients = [threading.Thread(target=_keep_alive_client, args=(url, stop, results))
                   for _ in range(4)]
        for t in clients:
            t.start()
        try:
            time.sleep(0.3)
            # /admin/reload reaches one worker: it checks the model, then sends SIGHUP to the
            # master, which replaces both workers one by one (a `kill -HUP` does the same).
            r = httpx.post(url + "/admin/reload", json={}, timeout=30)
            assert r.status_code == 202, r.text
            assert r.json()["status"] == "restarting" and r.json()["workers"] == 2
            second = _replaced(log, proc, first, 4)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in clients:
                t.join(30)
        assert len(second) == 2 and not second & first
        assert _pids(url, 6) <= second
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        _stop(proc)
    assert proc.returncode == 0, log.read_text("utf-8")
    retried = sum(1 for _, attempt in results if attempt == 2)
    statuses = {status for status, _ in results}
    assert len(results) > 20 and statuses == {200}, (len(results), retried, statuses)


def test_serve_command_port_in_use_is_a_clean_error(model_dir: Path) -> None:
    from typer.testing import CliRunner

    from classifier.cli.app import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port), "--model",
                                          str(model_dir)])
    assert result.exit_code == 1, result.output
    assert "could not start" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("args", "expected"), [([], None), (["--processes", "0"], 0),
                                                 (["--processes", "3"], 3)])
def test_serve_cli_passes_processes(monkeypatch: pytest.MonkeyPatch, args: list[str],
                                    expected: int | None) -> None:
    """``classifier serve --processes N`` reaches the server (default: one per core)."""
    from typer.testing import CliRunner

    from classifier.cli.app import app
    from classifier.service import runner

    seen: dict[str, Any] = {}
    monkeypatch.setattr(runner, "run_server", lambda **kw: seen.update(kw))
    result = CliRunner().invoke(app, ["serve", "--port", "0", *args])
    assert result.exit_code == 0, result.output
    assert seen["processes"] == expected and seen["port"] == 0
    bad = CliRunner().invoke(app, ["serve", "--processes", "-1"])
    assert bad.exit_code == 2 and "-1" in bad.output
