import pytest

from engine.errors import InsufficientPoints, InvalidInput, NotFound
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance, get_history
from engine.ledger.commands import AdjustPoints
from engine.ledger.invariants import check_ledger
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


def adjust(database, clock, member_id, points, reason="goodwill", actor="alice"):
    return adjust_points(database, AdjustPoints(member_id, points, reason, actor), caller="staff:alice",
                         idempotency_key=new_key(), now=clock())


def test_a_credit_is_available_at_once_and_records_reason_and_actor(database, clock, make_member):
    member = make_member()
    adjusted = adjust(database, clock, member.public_id, 250, "late delivery", "support:bob")
    assert adjusted.balance == 250
    assert get_balance(database, member.public_id, as_of=clock()).available == 250
    (item,) = get_history(database, member.public_id)
    assert (item.kind, item.points, item.description, item.actor) == ("adjust", 250, "late delivery", "support:bob")
    assert check_ledger(database) == []


def test_a_debit_takes_points_back(database, clock, make_member):
    member = make_member(points=300)
    assert adjust(database, clock, member.public_id, -120).balance == 180
    assert check_ledger(database) == []


def test_a_debit_beyond_what_the_member_has_is_refused(database, clock, make_member):
    member = make_member(points=100)
    with refused_unchanged(database, InsufficientPoints):
        adjust(database, clock, member.public_id, -101)


@pytest.mark.parametrize("points, reason, actor", [(0, "x", "a"), (5, "", "a"), (5, "x", "  ")])
def test_an_adjustment_needs_points_a_reason_and_an_actor(database, clock, make_member, points, reason, actor):
    member = make_member()
    with refused_unchanged(database, InvalidInput):
        adjust(database, clock, member.public_id, points, reason, actor)


def test_an_adjustment_for_an_unknown_member_is_refused(database, clock):
    with refused_unchanged(database, NotFound, "unknown_member"):
        adjust(database, clock, "MNOSUCHMEMBER", 10)
