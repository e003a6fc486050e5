"""Rate buckets in the database: every process counts a caller together, a refused take
uses nothing, a clock stepping back refills nothing, and idle buckets are purged."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from engine.access.rate_buckets import purge_rate_buckets, take


def test_a_bucket_lets_its_count_through_then_says_when_the_next_may_go(database, clock):
    assert [take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock()) for _ in range(4)] == [
        0, 0, 0, pytest.approx(20)]
    assert take(database, "sign_in", "192.0.2.2", count=3, period=60, now=clock()) == 0  # another address
    assert take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock.advance(seconds=10)) == \
        pytest.approx(10)  # refused takes used nothing: half a request is back
    assert take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock.advance(seconds=10)) == 0


def test_a_clock_that_steps_back_refills_nothing(database, clock):
    for _ in range(3):
        take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock())
    assert take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock() - timedelta(hours=1)) > 0
    assert take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock()) > 0


def test_racing_takes_let_exactly_the_count_through(database, clock):
    def one(_):
        return take(database, "sign_in", "192.0.2.1", count=10, period=3600, now=clock())

    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(one, range(40)))
    assert sum(1 for wait in waits if wait == 0) == 10


def test_buckets_idle_for_a_day_are_purged(database, clock):
    take(database, "sign_in", "192.0.2.1", count=3, period=60, now=clock())
    take(database, "sign_in", "192.0.2.2", count=3, period=60, now=clock.advance(hours=12))
    assert purge_rate_buckets(database, as_of=clock.advance(hours=13)) == 1
    assert take(database, "sign_in", "192.0.2.2", count=1, period=60, now=clock()) == 0
