"""Issue 15, service items: 422 not 500 (12), safe reloads (14), no cross-site reload and no
slow-client hold (16), keep-alive clients across worker restarts (19), offline docs (21),
serve's dependencies (11). Real servers on loopback. Items 14 (several workers), 19 and 28
are in tests/test_serve.py, beside the other tests of the real `serve` command.

The server here analyzes in one thread of its own process (``processes=0``, issue 14), the
mode of ``--workers`` > 1 and of one-core machines; tests/test_serve.py covers the analysis
processes."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from classifier.service import holder as holder_module
from classifier.service import limits
from classifier.service.app import create_app
from classifier.service.limits import HeaderTimeoutProtocol

from .conftest import ROOT
from .loopback import ThreadServer, headless_chromium

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals needed")


@pytest.fixture(scope="module")
def model_dir(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("hard-serve") / "model"
    shutil.copytree(tiny_model, target)
    return target


@pytest.fixture(scope="module")
def server(model_dir: Path) -> Iterator[ThreadServer]:
    with ThreadServer(create_app(str(model_dir), processes=0),
                      http=HeaderTimeoutProtocol) as srv:
        yield srv


@pytest.fixture()
def client(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def _post(client: httpx.Client, path: str, raw: bytes) -> httpx.Response:
    return client.post(path, content=raw, headers={"content-type": "application/json"})


# -- item 12 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, field", [
    (b'{"text": "\\ud800 abc"}', "text"),
    (b'{"text": "abc", "title": "x\\udfff"}', "title"),
    (b'{"texts": ["ok", "\\ud83d"]}', "texts"),
    (b'{"text": "abc", "sentences": NaN}', "sentences"),
    (b'{"text": "abc", "max_chars": Infinity}', "max_chars"),
])
def test_bad_values_are_422_naming_the_field(client: httpx.Client, raw: bytes,
                                             field: str) -> None:
    for path in ("/classify", "/summarize"):
        r = _post(client, path, raw)
        assert r.status_code == 422, r.text
        assert any(field in err["loc"] for err in r.json()["detail"]), r.text


# -- item 14 ------------------------------------------------------------------------------------

def test_reload_to_an_invalid_model_keeps_serving(client: httpx.Client,
                                                  model_dir: Path) -> None:
    before = client.get("/health").json()
    meta_path = model_dir / "meta.json"
    good = meta_path.read_bytes()
    meta = json.loads(good)
    meta["thresholds"][meta["labels"][0]["id"]] = "high"  # passed loading, broke every call
    try:
        meta_path.write_text(json.dumps(meta), "utf-8")
        r = client.post("/admin/reload", json={})
        assert r.status_code == 500 and "still serving" in r.json()["detail"]
        health = client.get("/health").json()
        assert health["generation"] == before["generation"]
        assert health["failed_reloads"] == before["failed_reloads"] + 1
        assert "thresholds" in health["last_error"] and health["last_failed_at"]
        assert client.post("/classify", json={"text": "职工技能大赛"}).status_code == 200
    finally:
        meta_path.write_bytes(good)


def test_reload_of_a_model_that_cannot_predict_is_refused(
        client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    before = client.get("/health").json()

    def broken(model: Any) -> None:
        raise ValueError("could not broadcast shapes")  # not a ClassifierError

    monkeypatch.setattr(holder_module, "_try", broken)
    r = client.post("/admin/reload", json={})
    assert r.status_code == 500 and "could not broadcast" in r.json()["detail"]
    health = client.get("/health").json()
    assert health["failed_reloads"] == before["failed_reloads"] + 1
    assert health["generation"] == before["generation"]
    monkeypatch.undo()
    assert client.post("/admin/reload", json={}).json()["generation"] == \
        before["generation"] + 1


# -- item 16 ------------------------------------------------------------------------------------

def test_cross_site_form_post_cannot_reload(client: httpx.Client) -> None:
    before = client.get("/health").json()["generation"]
    for headers, body in [
        ({"content-type": "application/x-www-form-urlencoded",
          "origin": "http://evil.example"}, b"x=1"),
        ({"content-type": "text/plain", "origin": "http://evil.example"}, b"{}"),
        ({"content-type": "multipart/form-data; boundary=b"}, b"--b--"),
        ({}, b""),
    ]:
        r = client.post("/admin/reload", content=body, headers=headers)
        assert r.status_code == 415, (headers, r.text)
        assert "application/json" in r.json()["detail"]
    assert client.get("/health").json()["generation"] == before


def test_slow_headers_are_cut_off(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        t0 = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server
        assert time.monotonic() - t0 < 5
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        time.sleep(0.2)  # a client that connects and sends nothing at all
        t0 = time.monotonic()
        assert s.recv(1024) == b"" and time.monotonic() - t0 < 5


def test_a_stalled_body_gets_408(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BODY_TIMEOUT", 0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"text\": ")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]


def test_fast_keep_alive_client_is_not_affected(server: ThreadServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 0.5)
    with httpx.Client(base_url=server.url) as c:
        for _ in range(3):
            assert c.get("/health").status_code == 200
            time.sleep(0.3)  # idle between requests, under the keep-alive timeout


def test_a_request_head_over_the_limit_is_refused(server: ThreadServer) -> None:
    """httptools sets no limit on a request's head; h11 refused one over 16 KB and so do we."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " +
                  b"a" * (limits.MAX_HEAD_BYTES + 100))
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    with httpx.Client(base_url=server.url) as c:  # a large head under the limit is served
        assert c.get("/health", headers={"x-big": "a" * 8000}).status_code == 200


def test_pipelined_requests_are_answered_in_order(server: ThreadServer) -> None:
    one = b"GET /themes HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(one + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200") == 2
    assert data.index(b'"themes"') < data.index(b'"generation"')


# -- issue 14: one-thread mode -------------------------------------------------------------------

def test_one_thread_mode_answers_the_library_records(server: ThreadServer, client: httpx.Client,
                                                     model_dir: Path) -> None:
    from pydantic import TypeAdapter

    from classifier.labelling.analysis import analyze
    from classifier.labelling.options import Options
    from classifier.model.store import load_model
    from classifier.text.reader import articles_from_text

    assert server.server.config.app.state.analyzer.pids == []
    text = "本报讯 市总工会开展职工技能培训。\n\n新就业形态劳动者权益保障座谈会召开。"
    r = client.post("/classify", json={"text": text})
    records = [x.to_dict() for x in analyze(articles_from_text(text, source="<text>"),
                                            load_model(model_dir), Options())]
    assert r.content == TypeAdapter(dict[str, Any]).dump_json({"articles": records})


# -- item 21 ------------------------------------------------------------------------------------

def test_docs_pages_need_no_cdn(client: httpx.Client) -> None:
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html), html
        assets = re.findall(r"/docs-static/[\w.-]+", html)
        assert assets
        for asset in set(assets):
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 1000, asset
    assert "swagger" in client.get("/docs").text.lower()


# -- item 11 ------------------------------------------------------------------------------------

def test_fastapi_and_uvicorn_are_dependencies() -> None:
    tomllib = pytest.importorskip("tomllib")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip() for d in deps}
    assert {"fastapi", "uvicorn", "fastapi-offline"} <= names
    # the C HTTP parser and event loop the runner uses (issue 14)
    assert {"httptools", "uvloop"} <= names


def test_serve_without_fastapi_is_a_clean_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from classifier.cli.app import app

    for name in [m for m in sys.modules if m.startswith("classifier.service")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2, result.output
    assert "pip install" in result.output and "Traceback" not in result.output


def test_docs_pages_render_in_a_browser_offline(server: ThreadServer) -> None:
    """/docs and /redoc in headless Chromium with every other host unreachable: both render
    the API (Swagger UI's operations, ReDoc's menu) and never try to reach a CDN."""
    elsewhere: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:  # what a machine without internet access would do
            elsewhere.append(route.request.url)
            route.abort()

    with headless_chromium() as chrome:
        page = chrome.new_page()
        page.route("**/*", offline)
        page.goto(server.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/classify" in p for p in paths), paths
        page.goto(server.url + "/redoc")
        page.wait_for_selector("text=/summarize", timeout=30_000)
    assert elsewhere == []
