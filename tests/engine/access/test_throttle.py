from datetime import datetime, timedelta, timezone

from engine.access import throttle
from engine.access.passwords import Passwords

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
CHEAP = Passwords.cheap()


def guess(attempts, right: bool, now=NOW):
    return throttle.check_secret(attempts, lambda: right, CHEAP, now, what="PIN")


def test_the_fifth_wrong_guess_locks_for_fifteen_minutes():
    attempts, codes = throttle.Attempts(0, None), []
    for _ in range(5):
        refusal, attempts = guess(attempts, right=False)
        codes.append(refusal.code)
    assert codes == ["wrong_credentials"] * 4 + ["locked_out"]
    assert attempts.locked_until == NOW + throttle.LOCKOUT


def test_while_locked_even_the_right_guess_is_refused_and_not_checked():
    locked = throttle.Attempts(0, NOW + timedelta(minutes=1))
    refusal, after = throttle.check_secret(locked, lambda: 1 / 0, CHEAP, NOW, what="PIN")
    assert (refusal.code, after) == ("locked_out", locked)


def test_after_the_lockout_a_right_guess_succeeds_and_clears_the_counters():
    expired = throttle.Attempts(0, NOW - timedelta(seconds=1))
    assert guess(expired, right=True) == (None, throttle.Attempts(0, None))


def test_a_right_guess_forgets_earlier_wrong_ones():
    refusal, attempts = guess(throttle.Attempts(4, None), right=True)
    assert refusal is None and attempts == throttle.after_success()


def test_an_unknown_subject_is_refused_like_a_wrong_guess_without_counting():
    unknown, _ = guess(None, right=True)
    wrong, _ = guess(throttle.Attempts(0, None), right=False)
    assert (unknown.code, unknown.message) == (wrong.code, wrong.message)


def test_is_locked_only_before_the_lockout_ends():
    attempts = throttle.Attempts(0, NOW)
    assert throttle.is_locked(attempts, NOW - timedelta(seconds=1))
    assert not throttle.is_locked(attempts, NOW)
    assert not throttle.is_locked(throttle.Attempts(3, None), NOW)


def wrong_rounds(rounds: int) -> tuple[list[timedelta], throttle.Attempts]:
    """Guess wrong in ``rounds`` rounds of five, each right after the lockout before it ends:
    the length of each lockout, and the counters at the end."""
    attempts, now, lockouts = throttle.Attempts(0, None), NOW, []
    for _ in range(rounds):
        for _ in range(throttle.MAX_FAILURES):
            _, attempts = guess(attempts, right=False, now=now)
        lockouts.append(attempts.locked_until - now)
        now = attempts.locked_until
    return lockouts, attempts


def test_each_lockout_in_a_row_is_twice_as_long_as_the_one_before_up_to_a_day():
    lockouts, _ = wrong_rounds(9)
    assert [lockout / timedelta(minutes=1) for lockout in lockouts] == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_a_guesser_gets_thirty_five_tries_on_the_first_day_and_five_a_day_after():
    lockouts, _ = wrong_rounds(20)
    first_day = sum(1 for n in range(20) if sum(lockouts[:n], timedelta()) < timedelta(days=1))
    assert first_day * throttle.MAX_FAILURES == 35 and set(lockouts[8:]) == {timedelta(days=1)}


def test_a_right_guess_after_a_lockout_starts_the_rounds_again():
    _, attempts = wrong_rounds(3)
    refusal, attempts = guess(attempts, right=True, now=attempts.locked_until)
    assert refusal is None and attempts == throttle.Attempts(0, None)
    lockouts, _ = wrong_rounds(1)
    assert lockouts == [throttle.LOCKOUT]


def test_the_counter_stops_at_its_ceiling_and_keeps_locking_for_a_day():
    attempts = throttle.Attempts(throttle.MAX_COUNT, None)
    _, after = guess(attempts, right=False)
    assert after == throttle.Attempts(throttle.MAX_COUNT, NOW + throttle.MAX_LOCKOUT)
