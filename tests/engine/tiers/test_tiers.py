from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput, NotFound
from engine.ledger.invariants import check_ledger
from engine.orm.members import MemberRow
from engine.rewards import create_reward
from engine.tiers.policy import TierDefinition, TierPolicy, qualified_rank, review_outcome
from engine.tiers.service import (assign_tier, define_tiers, member_tier, review_tiers, tier_history,
                                  tier_progress)
from tests.support.assertions import refused_unchanged


def cached_code(database, member):
    with database.transaction() as session:
        return session.scalar(sa.select(MemberRow.tier_code).where(MemberRow.public_id == member.public_id))


def test_an_accrual_that_crosses_a_threshold_upgrades_at_once(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 40000)  # 400 points: still Basic
    assert member_tier(database, member.public_id).tier_code == "BASIC"
    earn(member, 15000)  # 550 points
    assert member_tier(database, member.public_id).tier_code == "SILVER"
    assert cached_code(database, member) == "SILVER"
    assert [c["reason"] for c in tier_history(database, member.public_id)] == ["enrolment", "upgrade"]
    assert check_ledger(database) == []


def test_progress_says_how_many_points_are_missing_and_by_when(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 160000)  # 1,600 points: Silver
    progress = tier_progress(database, member.public_id, as_of=clock())
    assert (progress.tier_code, progress.next_tier, progress.needed) == ("SILVER", "GOLD", 400)
    assert progress.by == datetime(2027, 1, 1, tzinfo=UTC)


def test_progress_says_what_keeping_the_tier_takes_and_how_long_a_grace_period_keeps_it(database, clock, make_member,
                                                                                        earn, tiers):
    tiers(grace_months=3)
    basic, silver = make_member(), make_member()
    earn(basic, 10000)  # 100 points: Basic, the lowest, which is kept whatever
    earn(silver, 60000)  # 600 points: Silver (500), kept with 0 more
    assert tier_progress(database, basic.public_id, as_of=clock()).to_keep is None
    assert tier_progress(database, silver.public_id, as_of=clock()).to_keep == 0
    assign_tier(database, basic.public_id, "GOLD", reason="status match", actor="ops", now=clock())
    progress = tier_progress(database, basic.public_id, as_of=clock())
    assert (progress.tier_code, progress.to_keep, progress.grace_until) == ("GOLD", 1900, None)
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # not requalified: grace
    progress = tier_progress(database, basic.public_id, as_of=datetime(2027, 1, 2, tzinfo=UTC))
    assert (progress.tier_code, progress.grace_until) == ("GOLD", datetime(2027, 4, 1, tzinfo=UTC))


def test_spending_points_does_not_lower_qualifying_points(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 60000)
    from engine.ledger.adjustments import adjust_points
    from engine.ledger.commands import AdjustPoints
    adjust_points(database, AdjustPoints(member.public_id, -500, "spent", "tests"), caller="t",
                  idempotency_key="k1", now=clock())
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 600


def review_at(database, when):
    return review_tiers(database, as_of=when)


def test_a_member_who_does_not_requalify_falls_one_step_at_the_calendar_review(
        database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 600000)  # 6,000 points in 2026: Platinum
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    review_at(database, new_year)  # qualified on 2026: stays
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    review_at(database, datetime(2028, 1, 1, tzinfo=UTC))  # nothing earned in 2027: one step down
    assert member_tier(database, member.public_id).tier_code == "GOLD"
    assert cached_code(database, member) == "GOLD"
    assert review_at(database, datetime(2028, 1, 1, tzinfo=UTC))["members"] == 0  # idempotent
    review_at(database, datetime(2029, 1, 1, tzinfo=UTC))
    assert member_tier(database, member.public_id).tier_code == "SILVER"


def test_points_earned_just_before_the_window_closes_count_and_just_after_do_not(
        database, clock, make_member, earn, tiers):
    tiers()
    inside, outside = make_member(), make_member()
    assign_tier(database, inside.public_id, "GOLD", reason="match", actor="ops", now=clock())
    assign_tier(database, outside.public_id, "GOLD", reason="match", actor="ops", now=clock())
    clock.advance(days=310)  # 2027-01-07
    earn(inside, 200000, occurred_at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    earn(outside, 200000, occurred_at=datetime(2027, 1, 1, tzinfo=UTC))
    review_at(database, datetime(2027, 1, 1, tzinfo=UTC))
    assert member_tier(database, inside.public_id).tier_code == "GOLD"
    assert member_tier(database, outside.public_id).tier_code == "SILVER"


def test_a_grace_period_keeps_the_tier_until_it_ends_then_falls_one_step(database, clock, make_member, tiers):
    tiers(grace_months=3)
    member = make_member()
    assign_tier(database, member.public_id, "PLATINUM", reason="status match", actor="ops", now=clock())
    review_at(database, datetime(2027, 1, 1, tzinfo=UTC))
    state = member_tier(database, member.public_id)
    assert (state.tier_code, state.grace_until, state.review_due_at) == (
        "PLATINUM", datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    review_at(database, datetime(2027, 3, 31, tzinfo=UTC))
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    review_at(database, datetime(2027, 4, 1, tzinfo=UTC))
    state = member_tier(database, member.public_id)
    assert (state.tier_code, state.grace_until, state.review_due_at) == (
        "GOLD", None, datetime(2028, 1, 1, tzinfo=UTC))
    assert [c["reason"] for c in tier_history(database, member.public_id)] == ["manual", "grace", "review"]


def test_the_review_sql_agrees_with_the_policy(database, clock, make_member, earn, tiers):
    ladder = tiers(grace_months=2)
    members = []
    for n, (start, points) in enumerate([("PLATINUM", 0), ("PLATINUM", 2500), ("GOLD", 600), ("SILVER", 100),
                                         ("BASIC", 5200), ("GOLD", 2000), ("SILVER", 4999)]):
        member = make_member()
        assign_tier(database, member.public_id, start, reason="setup", actor="tests", now=clock())
        if points:
            earn(member, points * 100, occurred_at=clock() - timedelta(days=n), receipt=f"r{n}")
        members.append((member, start, points))
    codes = [t.code for t in ladder]
    thresholds = [t.threshold for t in ladder]
    # the accruals may have upgraded some at once: the review starts from where they are now
    before = {m.public_id: member_tier(database, m.public_id).tier_code for m, _, _ in members}
    review_at(database, datetime(2027, 1, 1, tzinfo=UTC))
    for member, _, points in members:
        current = codes.index(before[member.public_id])
        rank, grace = review_outcome(current, qualified_rank(thresholds, points), in_grace=False, grace_months=2)
        state = member_tier(database, member.public_id)
        assert (state.tier_code, state.grace_until is not None) == (codes[rank], grace), member.public_id


def test_a_manual_assignment_needs_a_known_tier_and_a_reason(database, clock, make_member, tiers):
    tiers()
    member = make_member()
    with pytest.raises(NotFound):
        assign_tier(database, member.public_id, "DIAMOND", reason="x", actor="ops", now=clock())
    with pytest.raises(InvalidInput):
        assign_tier(database, member.public_id, "GOLD", reason=" ", actor="ops", now=clock())
    assign_tier(database, member.public_id, "GOLD", reason="complaint", actor="ops", now=clock())
    assert tier_history(database, member.public_id)[-1]["note"] == "ops: complaint"


def test_invalid_tiers_are_refused_with_every_problem(database, clock):
    with pytest.raises(InvalidInput) as refused:
        define_tiers(database, [TierDefinition("A", "A", 10), TierDefinition("B", "", 5)],
                     TierPolicy(window="weekly"), now=clock())
    fields = {p.field for p in refused.value.problems}
    assert {"tiers[0].threshold", "tiers[1].name", "tiers", "window"} <= fields


@pytest.mark.parametrize("threshold", [10**15 + 1, 10**19, True])
def test_a_threshold_beyond_what_a_tier_can_need_is_refused(database, clock, threshold):
    with pytest.raises(InvalidInput) as refused:
        define_tiers(database, [TierDefinition("A", "A", 0), TierDefinition("B", "B", threshold)], TierPolicy(),
                     now=clock())
    assert [p.field for p in refused.value.problems] == ["tiers[1].threshold"]


@pytest.mark.parametrize("factor", ["NaN", "Infinity", "0", "100.5"])
def test_a_tier_multiplier_that_is_not_a_number_up_to_100_is_refused_not_raised(database, clock, factor):
    with pytest.raises(InvalidInput) as refused:
        define_tiers(database, [TierDefinition("A", "A", 0, Decimal(factor))], TierPolicy(), now=clock())
    assert [p.field for p in refused.value.problems] == ["tiers[0].earn_multiplier"]


def test_a_tier_that_prices_rewards_cannot_be_removed_and_the_refusal_names_them(database, clock, tiers):
    ladder = tiers()
    for code in ("MUG", "LOUNGE"):
        create_reward(database, code=code, name=code.title(), points_price=900, tier_prices={"GOLD": 200},
                      valid_from=clock(), now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        define_tiers(database, ladder[:2], TierPolicy(), now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("tiers", "tier GOLD prices rewards LOUNGE, MUG; remove those prices first")]


def test_tiers_can_be_redefined_and_a_held_tier_cannot_be_removed(database, clock, make_member, tiers):
    ladder = tiers()
    member = make_member()
    assign_tier(database, member.public_id, "PLATINUM", reason="vip", actor="ops", now=clock())
    renamed = [TierDefinition(t.code, t.name.upper(), t.threshold, t.earn_multiplier) for t in ladder]
    define_tiers(database, renamed, TierPolicy(), now=clock())
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    with pytest.raises(InvalidInput):
        define_tiers(database, ladder[:3], TierPolicy(), now=clock())
