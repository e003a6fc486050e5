from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.tiers.policy import TierPolicy, next_review, qualified_rank, review_outcome, window_start

UTCZ = ZoneInfo("UTC")


@pytest.mark.parametrize("points, rank", [(0, 0), (499, 0), (500, 1), (1999, 1), (2000, 2), (10**6, 3)])
def test_the_highest_threshold_reached_is_the_qualified_tier(points, rank):
    assert qualified_rank([0, 500, 2000, 5000], points) == rank


@pytest.mark.parametrize("current, qualified, in_grace, grace, outcome", [
    (2, 3, False, 0, (3, False)),   # up
    (2, 2, False, 0, (2, False)),   # stays
    (3, 0, False, 0, (2, False)),   # down one step only (soft landing)
    (3, 0, False, 3, (3, True)),    # grace starts
    (3, 0, True, 3, (2, False)),    # grace over: down one step
    (3, 3, True, 3, (3, False)),    # requalified during grace
])
def test_a_review_moves_down_at_most_one_step(current, qualified, in_grace, grace, outcome):
    assert review_outcome(current, qualified, in_grace=in_grace, grace_months=grace) == outcome


def test_the_calendar_window_that_ends_on_new_year_is_the_past_year():
    policy = TierPolicy(window="calendar_year")
    assert window_start(policy, datetime(2027, 1, 1, tzinfo=UTC), UTCZ) == datetime(2026, 1, 1, tzinfo=UTC)
    assert window_start(policy, datetime(2026, 7, 1, 12, tzinfo=UTC), UTCZ) == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_rolling_window_reaches_back_n_months():
    policy = TierPolicy(window="rolling_months", window_months=12)
    assert window_start(policy, datetime(2026, 7, 1, tzinfo=UTC), UTCZ) == datetime(2025, 7, 1, tzinfo=UTC)


def test_reviews_fall_on_new_year_or_on_the_anniversary():
    assert next_review(TierPolicy(review="calendar"), datetime(2026, 7, 1, tzinfo=UTC), UTCZ) == \
        datetime(2027, 1, 1, tzinfo=UTC)
    anniversary = TierPolicy(review="anniversary")
    assert next_review(anniversary, datetime(2027, 3, 5, tzinfo=UTC), UTCZ,
                       since=datetime(2026, 3, 4, 15, tzinfo=UTC)) == datetime(2028, 3, 4, tzinfo=UTC)
