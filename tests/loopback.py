"""Test helpers shared by the service and review tests: a real uvicorn server in a thread on
127.0.0.1, and Debian's Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

__all__ = ["LAUNCH_ARGS", "ThreadServer", "chromium_path", "headless_chromium"]

# Headless Chromium with nothing that reaches the network on its own (this machine has none).
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


class ThreadServer:
    """uvicorn serving an app in a background thread on a socket bound to 127.0.0.1:0.

    ``http``: uvicorn's HTTP protocol class (default: uvicorn's own choice).
    """

    def __init__(self, app: Any, *, http: Any = "auto") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", http=http)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def chromium_path() -> str | None:
    """Debian's Chromium (or ``$CHROMIUM``), if present."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright driving Debian's package), closed afterwards;
    the test skips, saying why, where Playwright or a browser is missing or cannot start."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium at $CHROMIUM or /usr/bin/chromium: apt-get install chromium")
    with sync_playwright() as pw:
        try:
            chrome = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        except Error as exc:
            pytest.skip(f"Chromium at {path} cannot start here: {exc}")
        try:
            yield chrome
        finally:
            chrome.close()
