"""The review page in a real headless Chromium (Playwright driving Debian's ``chromium``).

Skips, with the reason, only when no browser can be started: Playwright missing (``pip install
-e '.[test]'``) or no Chromium at ``$CHROMIUM`` / ``/usr/bin/chromium`` (``.ci/run`` installs
Debian's package when it is missing). Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .classifier_fixtures import write_jsonl
from .loopback import headless_chromium
from .test_review import LiveServer, article_rows, make_session


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as chrome:
        yield chrome


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text("utf-8") if path.exists() else ""
    return [json.loads(x) for x in text.splitlines()]


def open_page(browser: Any, url: str, requests: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def shown(page: Any) -> str:
    return str(page.get_attribute("#article", "data-id"))


def test_keys_save_undo_skip_and_a_restart(browser: Any, tiny_model: Path,
                                           tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "articles.jsonl", article_rows())
    out = tmp_path / "corrections.jsonl"
    requests: list[str] = []
    with LiveServer(make_session(tiny_model, inputs, out)) as server:
        page = open_page(browser, server.url, requests)
        keys = page.locator("button.theme kbd").all_inner_texts()
        assert len(keys) == 13 and len(set(keys)) == 13 and not {"s", "u"} & set(keys)
        first = shown(page)
        themes = page.locator("button.theme")
        ticked = {themes.nth(i).get_attribute("data-theme") for i in range(themes.count())
                  if themes.nth(i).get_attribute("aria-pressed") == "true"}
        free = page.locator("button.theme[aria-pressed='false']").first
        theme, key = free.get_attribute("data-theme"), free.get_attribute("data-key")
        target = page.locator(f"button.theme[data-theme='{theme}']")
        page.keyboard.press(key)
        assert target.get_attribute("aria-pressed") == "true"
        page.keyboard.press("Enter")
        wait_for(lambda: len(lines(out)) == 1, "the saved line")
        saved = lines(out)[0]
        assert saved["id"] == first and set(saved["labels"]) == ticked | {theme}
        assert set(saved) == {"id", "title", "text", "labels", "model", "saved_at"}
        wait_for(lambda: shown(page) != first, "the next article")
        assert page.inner_text("#saved") == "1"
        page.screenshot(path=str(tmp_path / "review.png"), full_page=False)

        page.keyboard.press("u")  # undo: the line goes, the article comes back as saved
        wait_for(lambda: shown(page) == first, "the undone article")
        assert out.read_bytes() == b"" and page.inner_text("#saved") == "0"
        assert page.locator(f"button.theme[data-theme='{theme}']").get_attribute(
            "aria-pressed") == "true"

        page.keyboard.press("s")  # skip: nothing written
        wait_for(lambda: shown(page) != first, "the article after the skipped one")
        kept = shown(page)
        page.keyboard.press("Enter")
        wait_for(lambda: len(lines(out)) == 1, "the second save")
        assert lines(out)[0]["id"] == kept
        page.close()
    assert all(u.startswith(server.url) for u in requests), requests  # nothing from elsewhere

    with LiveServer(make_session(tiny_model, inputs, out)) as server:
        page = open_page(browser, server.url, requests)
        assert shown(page) not in {kept, ""}
        assert page.inner_text("#saved") == "1"
        queue = httpx.get(f"{server.url}/api/queue?n=100").json()["items"]
        assert kept not in {x["id"] for x in queue} and first in {x["id"] for x in queue}
        page.close()
    if os.environ.get("REVIEW_SCREENSHOT"):
        shutil.copy(tmp_path / "review.png", os.environ["REVIEW_SCREENSHOT"])


def test_article_text_stays_text_on_the_server_and_in_the_script(
        browser: Any, tiny_model: Path, tmp_path: Path) -> None:
    rows = [{"id": f"h{i}", "title": f"<i>标题{i}</i>",
             "text": f"市总工会开展职工技能大赛<b>加粗{i}</b><img src=x onerror=alert(1)>"}
            for i in range(2)]
    inputs = write_jsonl(tmp_path / "html.jsonl", rows)
    with LiveServer(make_session(tiny_model, inputs, tmp_path / "c.jsonl")) as server:
        page = open_page(browser, server.url, [])
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for _ in range(2):  # first rendered by the template, then by the script
            first = shown(page)
            assert page.locator("#text b, #text img, #title i").count() == 0
            assert "<b>加粗" in page.inner_text("#text")
            assert "<i>标题" in page.inner_text("#title")
            page.keyboard.press("s")
            wait_for(lambda first=first: shown(page) != first, "the next article")
        assert not dialogs
        page.close()
