"""Throttling of guessable secrets (passwords, PINs): a few tries, then a lockout that
doubles with every round of wrong guesses until a right one.

Pure policy on a counter and a lockout time, so every secret is throttled the same way. The
counter runs on through lockouts, so a guesser gets 5 tries, then 15 minutes, 5 more, 30
minutes, ..., at most a day: 35 guesses on the first day and 5 a day after, where a
fixed 15-minute lockout would give 480 a day (a 4-digit PIN in about ten days).
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from datetime import datetime, timedelta

from engine.access.passwords import Passwords
from engine.errors import NotAuthenticated

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)  # the first lockout; each one after is twice as long
MAX_LOCKOUT = timedelta(days=1)
MAX_COUNT = 10**6  # the counter stops here (a 32-bit column holds it)


@dataclass(frozen=True)
class Attempts:
    failures: int
    locked_until: datetime | None


def is_locked(attempts: Attempts, now: datetime) -> bool:
    """True while a lockout is running."""
    return attempts.locked_until is not None and now < attempts.locked_until


def after_failure(attempts: Attempts, now: datetime) -> Attempts:
    """The counters after one more wrong guess: every MAX_FAILURES-th wrong guess in a row
    locks, for LOCKOUT the first time and twice as long each time after, up to MAX_LOCKOUT."""
    failures = min(attempts.failures + 1, MAX_COUNT)
    if failures % MAX_FAILURES == 0:
        rounds = failures // MAX_FAILURES
        return Attempts(failures, now + min(LOCKOUT * 2 ** min(rounds - 1, 16), MAX_LOCKOUT))
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
                                 f"{attempts.locked_until:%Y-%m-%d %H:%M} UTC", code="locked_out"), attempts)
    if attempts is None:
        passwords.verify(passwords.decoy_hash, "not the password")  # as slow as a real check
        return NotAuthenticated(f"wrong {what}", code="wrong_credentials"), Attempts(0, None)
    if matches():
        return None, after_success()
    attempts = after_failure(attempts, now)
    if attempts.locked_until is not None and is_locked(attempts, now):
        return (NotAuthenticated(f"too many wrong attempts; locked until {attempts.locked_until:%Y-%m-%d %H:%M} UTC",
                                 code="locked_out"), attempts)
    return NotAuthenticated(f"wrong {what}", code="wrong_credentials"), attempts
