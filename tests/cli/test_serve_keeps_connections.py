"""``loyalty serve`` runs threaded workers that keep a client's connection open between its
requests (a till sends a card session, an accrual, a hold in a row), as the API benchmark
measures it; and it stops again."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOYALTY = Path(sys.executable).parent / "loyalty"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_clients_connection_stays_open_between_its_requests(tmp_path):
    env = {"LOYALTY_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin", "LOYALTY_LOG_LEVEL": "WARNING"}
    assert subprocess.run([str(LOYALTY), "db", "upgrade"], env=env, capture_output=True, timeout=60).returncode == 0
    port = free_port()
    server = subprocess.Popen([str(LOYALTY), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--threads", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection.request("GET", "/health/live")
                first = connection.getresponse()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
                connection.close()
                time.sleep(0.2)
        first.read()
        assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
        kept = connection.sock
        connection.request("GET", "/health/live")
        second = connection.getresponse()
        second.read()
        assert second.status == 200 and connection.sock is kept  # the same connection answered again
    finally:
        connection.close()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            assert server.wait(timeout=20) == 0
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
            server.stderr.close()
