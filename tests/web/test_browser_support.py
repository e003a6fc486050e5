"""The browser test bed itself: the live server stops on failure, a missing browser is named."""
import socket
import urllib.request

import pytest

from tests.support import browser as support
from tests.support.browser import BrowserUnavailable, LiveServer


def test_the_live_server_answers_on_127_0_0_1_and_stops_when_the_test_fails(app):
    with pytest.raises(RuntimeError, match="the test failed"):
        with LiveServer(app) as server:
            port = server.port
            with urllib.request.urlopen(server.url("/portal/sign-in")) as page:
                assert page.status == 200 and b"Sign in" in page.read()
            raise RuntimeError("the test failed")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_missing_chromium_is_reported_by_path_not_downloaded(monkeypatch, tmp_path):
    monkeypatch.setattr(support, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(BrowserUnavailable, match="no-chromium is missing; scripts/test installs Debian's chromium"):
        support.chromium()
