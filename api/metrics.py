"""Prometheus metrics at ``/metrics``: requests counted and timed per endpoint.

Under ``loyalty serve`` (gunicorn, several worker processes) ``PROMETHEUS_MULTIPROC_DIR``
is set before the workers start, each worker writes its samples there, and whichever
worker answers a scrape sums them all. Endpoints are labelled by their route pattern
(``/v1/staff/members/<member_id>``), never by the raw path, so a scanner cannot blow up
the number of series. The page is served to loopback callers, or to anyone presenting
``LOYALTY_METRICS_TOKEN`` as a bearer token when that is configured.
"""
from __future__ import annotations

import functools
import hmac
import os
import time

from flask import Flask, Response, current_app, g, request

from api.errors import ApiError

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LOOPBACK = ("127.0.0.1", "::1")


@functools.cache
def _instruments():
    # prometheus_client picks its storage (in memory, or files shared by the workers) when it
    # is first imported: that must happen in the worker, after the server has set
    # PROMETHEUS_MULTIPROC_DIR, not in the process that forks the workers.
    from prometheus_client import Counter, Histogram

    return (Counter("loyalty_http_requests", "HTTP requests answered", ["method", "endpoint", "status"]),
            Histogram("loyalty_http_request_duration_seconds", "Time to answer an HTTP request",
                      ["method", "endpoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)))


def install_metrics(app: Flask) -> None:
    """Count and time every request and serve ``/metrics``."""
    requests, duration = _instruments()

    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        requests.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            duration.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response

    app.add_url_rule("/metrics", "metrics", _metrics)


def _metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(401, "invalid_token", "send the metrics token as a bearer token")
    elif request.remote_addr not in LOOPBACK:
        raise ApiError(403, "metrics_loopback_only",
                       "metrics are served to this machine only; set LOYALTY_METRICS_TOKEN to scrape remotely")
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
