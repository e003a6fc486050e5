"""A tier given by hand may be kept until a day: no review comes before the first regular
review after it (an invited tier for a year), and then the member's points decide as usual."""
from datetime import UTC, date, datetime

import pytest

from engine.errors import InvalidInput
from engine.tiers.service import assign_tier, member_tier, review_tiers, tier_history


def code_of(database, member) -> str:
    return member_tier(database, member.public_id).tier_code


def test_a_tier_kept_until_a_day_outlasts_the_reviews_before_it_and_not_the_first_after(
        database, clock, make_member, tiers):
    tiers()
    invited, plain = make_member(), make_member()
    assign_tier(database, invited.public_id, "GOLD", reason="invited", actor="ops", now=clock(),
                keep_until=date(2027, 6, 30))
    assign_tier(database, plain.public_id, "GOLD", reason="complaint", actor="ops", now=clock())
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # neither earned a point in 2026
    assert (code_of(database, invited), code_of(database, plain)) == ("GOLD", "SILVER")
    review_tiers(database, as_of=datetime(2028, 1, 1, tzinfo=UTC))  # the first review after 30 June 2027
    assert code_of(database, invited) == "SILVER"
    assert [c["note"] for c in tier_history(database, invited.public_id) if c["reason"] == "manual"] == [
        "ops: invited (kept until 2027-06-30)"]


@pytest.mark.parametrize("keep_until", [date(2026, 3, 2), date(2036, 3, 3), "2027-01-01"])
def test_a_day_to_keep_a_tier_until_is_after_today_and_within_ten_years(database, clock, make_member, tiers,
                                                                         keep_until):
    tiers()
    with pytest.raises(InvalidInput) as refused:
        assign_tier(database, make_member().public_id, "GOLD", reason="invited", actor="ops", now=clock(),
                    keep_until=keep_until)
    assert [problem.field for problem in refused.value.problems] == ["keep_until"]
