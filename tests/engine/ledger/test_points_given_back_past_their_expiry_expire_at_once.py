"""A hold placed just before its points' expiry keeps them from the nightly expiry; when the
hold is voided, lapses or is captured in part after that instant, the points it gives back expire there and then,
dated then, not a night later (with a balance no figure explains all day meanwhile)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.ledger.balances import get_balance
from engine.ledger.commands import CaptureHold, PlaceHold, VoidHold
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold, release_lapsed_holds, void_hold
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import LedgerTransactionRow
from tests.conftest import new_key


@pytest.fixture
def held_over_expiry(database, clock, make_member, earn, till):
    """A member whose 100 points expire at ``expires_at``, 60 of them held five minutes before,
    the rest expired by the run at that instant: (member, hold id, expires_at)."""
    member = make_member()
    earned = earn(member, 10000, occurred_at=clock() - timedelta(days=30))
    clock.advance(seconds=(earned.expires_at - clock()).total_seconds() - 300)
    placed = place_hold(database, PlaceHold(till.store_code, till.code, 60, member_id=member.public_id),
                        caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert expire_lots(database, as_of=earned.expires_at).points == 40
    return member, placed.hold_id, earned.expires_at


def expiries(database):
    with database.transaction() as session:
        return session.execute(sa.select(LedgerTransactionRow.points, LedgerTransactionRow.occurred_at)
                               .where(LedgerTransactionRow.kind == "expire").order_by(LedgerTransactionRow.id)).all()


def test_points_a_voided_hold_gives_back_after_their_expiry_expire_at_once(database, clock, held_over_expiry):
    member, hold_id, expires_at = held_over_expiry
    voided_at = clock.advance(minutes=7)
    void_hold(database, VoidHold(hold_id), caller="S1-T1", idempotency_key=new_key(), now=voided_at)
    balance = get_balance(database, member.public_id, as_of=voided_at)
    assert (balance.balance, balance.available) == (0, 0)
    assert expiries(database) == [(-40, expires_at), (-60, voided_at)]
    assert check_ledger(database) == []


def test_points_a_lapsed_hold_gives_back_after_their_expiry_expire_at_once(database, clock, held_over_expiry):
    member, _, expires_at = held_over_expiry
    lapsed_at = clock.advance(hours=1)
    assert release_lapsed_holds(database, as_of=lapsed_at) == 1
    assert get_balance(database, member.public_id, as_of=lapsed_at).balance == 0
    assert expiries(database) == [(-40, expires_at), (-60, lapsed_at)]
    assert check_ledger(database) == []


def test_points_a_part_capture_leaves_after_their_expiry_expire_at_once(database, clock, held_over_expiry):
    member, hold_id, expires_at = held_over_expiry
    captured_at = clock.advance(minutes=7)
    captured = capture_hold(database, CaptureHold(hold_id, 25), caller="S1-T1", idempotency_key=new_key(),
                            now=captured_at)
    assert (captured.points, captured.released, captured.balance) == (25, 35, 0)
    assert get_balance(database, member.public_id, as_of=captured_at).balance == 0
    assert expiries(database) == [(-40, expires_at), (-35, captured_at)]
    assert check_ledger(database) == []
