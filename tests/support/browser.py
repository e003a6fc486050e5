"""A real server and a real headless Chromium for browser tests.

- ``LiveServer(app)``: the WSGI app served by werkzeug on a free 127.0.0.1 port in a thread;
  a context manager, so the server stops also when the test fails.
- ``chromium()``: Debian's ``chromium`` driven through ``chromedriver`` (paths below; never a
  browser download). Raises ``BrowserUnavailable`` when either is missing or will not start.
- ``screenshot_folder()``: where screenshots go (``.test-runtime/screenshots`` in the working
  copy, which git ignores; ``LOYALTY_SCREENSHOTS`` overrides).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("LOYALTY_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LOYALTY_CHROMEDRIVER", "/usr/bin/chromedriver"))
ROOT = Path(__file__).resolve().parents[2]


class BrowserUnavailable(RuntimeError):
    """Chromium, chromedriver or Selenium is missing or does not start."""


class LiveServer:
    """``with LiveServer(app) as server: server.url("/portal/")``."""

    def __init__(self, app):
        self.app = app
        self._server = None
        self._thread = None

    def __enter__(self) -> LiveServer:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def port(self) -> int:
        return self._server.server_port

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def chromium(*, width: int = 1280, height: int = 900):
    """A headless Chromium WebDriver session; the caller quits it."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise BrowserUnavailable(f"selenium is not installed ({error}); run scripts/test") from None
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            raise BrowserUnavailable(f"{path} is missing; scripts/test installs Debian's chromium and "
                                     "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     f"--window-size={width},{height}", "--lang=en-GB"):
        options.add_argument(argument)
    try:
        return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    except WebDriverException as error:
        raise BrowserUnavailable(f"chromium did not start: {error.msg}") from None


def screenshot_folder() -> Path:
    folder = Path(os.environ.get("LOYALTY_SCREENSHOTS") or ROOT / ".test-runtime" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
