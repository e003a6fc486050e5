"""Rate limits: each caller a token bucket; over its rate, 429 with Retry-After.

Who is counted: a terminal, a member and a staff account once authenticated (so nobody can
spend another caller's allowance by claiming its name), and every sign-in attempt by its
source address (so one address cannot try passwords across many accounts faster than the
per-account lockout alone allows). A bucket holds ``count`` requests and refills at
``count`` per ``period``: a till coming back online may replay a burst of queued sales at
once, and then goes at the steady rate.

Sign-in attempts are counted in the database (``engine.access.rate_buckets``), so that
every worker process and every node counts an address together: they are what an attacker
multiplies, and each costs a password hash anyway. The other buckets live in the process,
for speed (no round trip on every request, a till's accrual above all): behind ``loyalty
serve`` with W worker processes a caller may get up to W times its rate there, as requests
spread over the workers. The least recently seen callers are forgotten beyond MAX_CALLERS,
so that many callers cannot fill the memory.

``LOYALTY_RATE_LIMITS`` sets them, e.g. ``terminal=600/min,member=120/min,staff=600/min,
sign_in=20/min`` (the defaults); ``KIND=off`` switches one off.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request

from api.context import database, now
from api.errors import ApiError
from engine.access import rate_buckets

KINDS = ("terminal", "member", "staff", "sign_in")
DEFAULTS = "terminal=600/min,member=120/min,staff=600/min,sign_in=20/min"
PERIODS = {"s": 1.0, "min": 60.0, "h": 3600.0}
MAX_CALLERS = 100_000
SHARED = frozenset({"sign_in"})  # counted in the database, by every process together


@dataclass(frozen=True)
class Rate:
    count: int
    period: float  # seconds

    @property
    def per_second(self) -> float:
        return self.count / self.period


def parse_rates(text: str) -> dict[str, Rate | None]:
    """``"terminal=600/min,sign_in=off"`` over the defaults; ValueError naming what is wrong."""
    rates: dict[str, Rate | None] = {}
    for part in (DEFAULTS + "," + text).split(","):
        if not part.strip():
            continue
        kind, _, value = (p.strip() for p in part.partition("="))
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind[:40]!r}: use {', '.join(KINDS)}")
        if value == "off":
            rates[kind] = None
            continue
        count, _, period = value.partition("/")
        if not (count.isdecimal() and 1 <= int(count) <= 10**9 and period in PERIODS):
            raise ValueError(f"{kind}={value[:40]!r}: give COUNT/PERIOD with a whole COUNT from 1 and a PERIOD "
                             f"of {', '.join(PERIODS)} (e.g. 600/min), or off")
        rates[kind] = Rate(int(count), PERIODS[period])
    return rates


class Buckets:
    """Token buckets by caller, safe to share between a process's threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_callers: int = MAX_CALLERS):
        self._clock, self._max = clock, max_callers
        self._levels: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def take(self, kind: str, caller: str, rate: Rate) -> float:
        """Take one request from the caller's bucket: 0 when it may go, else the seconds
        until it may."""
        key = (kind, caller)
        with self._lock:
            now = self._clock()
            tokens, then = self._levels.pop(key, (float(rate.count), now))
            tokens = min(float(rate.count), tokens + max(0.0, now - then) * rate.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate.per_second
            self._levels[key] = (tokens - 1 if not wait else tokens, now)  # most recent last
            if len(self._levels) > self._max:
                self._levels.popitem(last=False)
            return wait


def limit(kind: str, caller: str) -> None:
    """Refuse with 429 (and Retry-After) a caller over its rate; nothing when within it or off."""
    rate = current_app.config["RATE_LIMITS"].get(kind)
    if rate is None:
        return
    if kind in SHARED:
        wait = rate_buckets.take(database(), kind, caller, count=rate.count, period=rate.period, now=now())
    else:
        wait = current_app.extensions["loyalty_rate_buckets"].take(kind, caller, rate)
    if wait:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(seconds, "sign-in attempts from this address" if kind == "sign_in" else
                          f"requests from this {kind}")


def limit_sign_in() -> None:
    """Count one sign-in attempt against the request's source address."""
    limit("sign_in", request.remote_addr or "unknown")


class RateLimited(ApiError):
    """429 with the seconds to wait, in the body's message and the Retry-After header."""

    def __init__(self, seconds: int, what: str):
        super().__init__(429, "rate_limited", f"too many {what}; try again in {seconds} s")
        self.retry_after = seconds
        self.data["headers"] = {"Retry-After": str(seconds)}


def install_rate_limits(app, clock: Callable[[], float] | None = None) -> None:
    """Give ``app`` one set of buckets for its ``RATE_LIMITS``; ``clock`` (seconds) for tests."""
    app.extensions["loyalty_rate_buckets"] = Buckets(clock or time.monotonic)
