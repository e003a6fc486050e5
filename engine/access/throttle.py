"""Throttling of guessable secrets (passwords, PINs): a few tries, then a lockout.

Pure policy on a counter and a lockout time, so every secret is throttled the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from datetime import datetime, timedelta

from engine.access.passwords import Passwords
from engine.errors import NotAuthenticated

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempts:
    failures: int
    locked_until: datetime | None


def is_locked(attempts: Attempts, now: datetime) -> bool:
    """True while a lockout is running."""
    return attempts.locked_until is not None and now < attempts.locked_until


def after_failure(attempts: Attempts, now: datetime) -> Attempts:
    """The counters after one more wrong guess: the MAX_FAILURES-th locks for LOCKOUT."""
    failures = attempts.failures + 1
    if failures >= MAX_FAILURES:
        return Attempts(0, now + LOCKOUT)
    return Attempts(failures, attempts.locked_until)


def after_success() -> Attempts:
    """The counters after a right guess: all forgotten."""
    return Attempts(0, None)


def check_secret(attempts: Attempts | None, matches: Callable[[], bool], passwords: Passwords,
                 now: datetime, *, what: str) -> tuple[NotAuthenticated | None, Attempts]:
    """Throttled check of a guessable secret. ``attempts`` is None for an unknown subject,
    which is refused after the same work as a wrong guess. Returns (refusal or None, new
    counters)."""
    if attempts is not None and is_locked(attempts, now):
        return (NotAuthenticated(f"too many wrong attempts; try again after "
                                 f"{attempts.locked_until:%H:%M} UTC", code="locked_out"), attempts)
    if attempts is None:
        passwords.verify(passwords.decoy_hash, "not the password")  # as slow as a real check
        return NotAuthenticated(f"wrong {what}", code="wrong_credentials"), Attempts(0, None)
    if matches():
        return None, after_success()
    attempts = after_failure(attempts, now)
    if attempts.locked_until is not None and is_locked(attempts, now):
        return (NotAuthenticated(f"too many wrong attempts; locked until {attempts.locked_until:%H:%M} UTC",
                                 code="locked_out"), attempts)
    return NotAuthenticated(f"wrong {what}", code="wrong_credentials"), attempts
