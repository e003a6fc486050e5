"""Structured request logs: one JSON line per request, with a request id.

The id comes from the caller's ``X-Request-ID`` when it is a sane token (so a till and
the server can be correlated), otherwise a fresh one; it is echoed in the response.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("loyalty.request")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; ``extra`` fields become keys."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                   "logger": record.name, "msg": record.getMessage()}
        payload.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str) -> None:
    """Send the ``loyalty`` loggers to stderr as JSON lines (once per process)."""
    root = logging.getLogger("loyalty")
    root.setLevel(level)
    if not any(getattr(h, "_loyalty", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._loyalty = True
        root.addHandler(handler)
        root.propagate = False


def install_request_log(app: Flask) -> None:
    @app.before_request
    def _start():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info("request", extra={
            "request_id": g.get("request_id"), "method": request.method, "path": request.path,
            "status": response.status_code, "duration_ms": duration_ms,
            "remote": request.remote_addr})
        return response
