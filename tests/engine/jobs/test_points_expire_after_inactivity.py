"""Under the ``after_inactivity`` policy a member's points all expire ``expiry_months`` after
their last purchase or spending: a purchase keeps every point alive, bonuses and adjustments
do not, the member is warned before, and a member who never bought counts from enrolment."""
from datetime import timedelta

import pytest

from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.commands import AdjustPoints
from engine.ledger.invariants import check_ledger
from engine.settings import update_settings
from tests.conftest import new_key


@pytest.fixture
def inactivity(database, clock):
    update_settings(database, {"expiry_policy": "after_inactivity", "expiry_months": 12, "expiry_rounding": "none",
                               "pending_days": 0},
                    now=clock())


def balance(database, member, at):
    return get_balance(database, member.public_id, as_of=at).balance


def test_a_purchase_keeps_all_points_alive_until_a_year_without_one(database, clock, make_member, earn, run,
                                                                    inactivity):
    member = make_member()
    start = clock()
    earn(member, 10000)  # 100 points
    clock.advance(days=330)
    earn(member, 5000)  # 50 points: activity, eleven months on
    run("expire", start + timedelta(days=400))  # over a year after the first purchase
    assert balance(database, member, start + timedelta(days=400)) == 150
    last = start + timedelta(days=330)
    assert balance(database, member, last + timedelta(days=364)) == 150
    catch_up = run("expire", last + timedelta(days=366))  # every day since the run above
    assert sum(r.summary["points"] for r in catch_up) == 150
    assert balance(database, member, last + timedelta(days=366)) == 0
    assert check_ledger(database) == []


def test_a_bonus_is_no_activity_and_a_member_who_never_bought_counts_from_enrolment(database, clock, make_member,
                                                                                   earn, run, inactivity):
    buyer, idle = make_member(), make_member()
    joined = clock()
    earn(buyer, 10000)
    clock.advance(days=200)
    for member in (buyer, idle):
        adjust_points(database, AdjustPoints(member.public_id, 40, "goodwill", "sam"), caller="staff:sam",
                      idempotency_key=new_key(), now=clock())
    day = joined + timedelta(days=367)
    run("expire", day)
    assert (balance(database, buyer, day), balance(database, idle, day)) == (0, 0)


def test_the_member_is_warned_before_the_deadline_their_last_purchase_set(database, clock, make_member, earn, run,
                                                                          inactivity):
    member = make_member()
    start = clock()
    earn(member, 10000)
    run("expire", start + timedelta(days=340))
    [warned] = run("expiry_warnings", start + timedelta(days=340))
    assert warned.summary["messages"] == 1
    expiring = get_balance(database, member.public_id, as_of=start + timedelta(days=340)).expiring
    assert [(e.points, e.expires_at) for e in expiring] == [(100, start.replace(year=start.year + 1))]
