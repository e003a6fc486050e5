"""``loyalty serve``: run the API under gunicorn, or start it, check it answers, and stop."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import click
from gunicorn.app.base import BaseApplication

from cli.runtime import Runtime, pass_runtime
from engine.stored_secrets import start_refusal

READY_TIMEOUT_S = 60
# Threaded workers keep a till's connection open between its requests (a till sends a card
# session, an accrual, a hold, ... in a row) and a slow client does not hold a whole worker;
# what tests/bench/api_accrual.py measures (it serves the app with this command).
WORKER_CLASS, DEFAULT_THREADS, KEEPALIVE_S = "gthread", 4, 30


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, database_url: str):
        self.options = options
        self.database_url = database_url
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from api import create_app  # in the worker: nothing is built before the fork
        from api.serving import settle_for_serving

        app = create_app({"DATABASE_URL": self.database_url})
        settle_for_serving()
        return app


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to listen on")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="worker processes: one per core (the accrual path is CPU-bound)")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="threads per worker, each serving one request at a time")
@click.option("--check", is_flag=True,
              help="Start the service, check that it answers, stop it, and exit (0 when all is well)")
@pass_runtime
def serve(runtime: Runtime, bind: str, workers: int, threads: int, check: bool) -> None:
    """Serve the HTTP API (docs at /docs, OpenAPI document at /openapi.json). Refuses to start
    while stored secrets do not open with the configured data keys."""
    refusal = start_refusal(runtime.db)
    if refusal:
        raise click.ClickException(refusal)
    if check:
        smoke_test(runtime.database_url, workers)
        return
    click.echo(f"serving the loyalty API on http://{bind} (docs: http://{bind}/docs); Ctrl-C stops")
    metrics_dir = _fresh_metrics_dir()
    try:
        _Gunicorn({"bind": bind, "workers": workers, "worker_class": WORKER_CLASS, "threads": threads,
                   "keepalive": KEEPALIVE_S, "accesslog": None, "control_socket_disable": True,
                   "graceful_timeout": 10, "child_exit": _forget_worker_gauges}, runtime.database_url).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _fresh_metrics_dir() -> str:
    """An empty folder the workers share their Prometheus samples through (set before the
    workers fork, so each imports prometheus_client in multiprocess mode)."""
    path = tempfile.mkdtemp(prefix="loyalty-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _forget_worker_gauges(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def smoke_test(database_url: str, workers: int) -> None:
    """Start ``loyalty serve`` on a free local port, check it, and always stop it again."""
    host, port = "127.0.0.1", _free_port()
    base = f"http://{host}:{port}"
    command = [sys.executable, "-m", "cli", "--database-url", database_url,
               "serve", "--bind", f"{host}:{port}", "--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        ready = _wait_until_ready(base, server)
        spec = json.loads(_get(base + "/openapi.json"))
        docs = _get(base + "/docs").decode()
        if "swagger-ui" not in docs:
            raise click.ClickException("the docs page did not render")
        for page in ("/portal/sign-in", "/console/sign-in"):
            if b"<form" not in _get(base + page):
                raise click.ClickException(f"the page {page} did not render")
        if b'endpoint="/health/ready"' not in _get(base + "/metrics"):
            raise click.ClickException("the metrics page does not count the requests just made")
        click.echo(f"service answered at {base}: {ready['status']} on {ready['database']}, "
                   f"schema {ready['schema_revision']}; OpenAPI document lists "
                   f"{len(spec['paths'])} paths; docs, portal, console and metrics served")
    finally:
        _stop(server)


def _wait_until_ready(base: str, server: subprocess.Popen) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise click.ClickException(f"the service exited with code {server.returncode}: "
                                       f"{server.stderr.read().decode()[-2000:]}")
        try:
            return json.loads(_get(base + "/health/ready"))
        except urllib.error.HTTPError as error:
            last = error.read().decode()
        except OSError as error:
            last = str(error)
        time.sleep(0.1)
    raise click.ClickException(f"the service was not ready within {READY_TIMEOUT_S}s: {last}")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    server.stderr.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMMANDS = (serve,)
