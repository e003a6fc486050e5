from datetime import timedelta

from engine.ledger.balances import get_balance
from engine.ledger.expiry import expire_lots
from engine.ledger.invariants import check_ledger
from engine.settings import update_settings


def test_due_points_are_posted_to_the_expiry_account_and_nothing_is_deleted(database, clock, make_member, earn):
    member = make_member()
    earned = earn(member, 2000)
    run = expire_lots(database, as_of=earned.expires_at)
    assert (run.members, run.lots, run.points) == (1, 1, 20)
    balance = get_balance(database, member.public_id, as_of=earned.expires_at)
    assert balance.balance == 0
    assert check_ledger(database) == []


def test_expiry_is_idempotent_for_the_same_as_of(database, clock, make_member, earn):
    earned = earn(make_member(), 2000)
    expire_lots(database, as_of=earned.expires_at)
    assert expire_lots(database, as_of=earned.expires_at).points == 0


def test_points_not_yet_due_do_not_expire(database, clock, make_member, earn):
    member = make_member()
    earned = earn(member, 2000)
    assert expire_lots(database, as_of=earned.expires_at - timedelta(seconds=1)).points == 0


def test_expiry_catches_up_over_everything_due_since_the_last_run(database, clock, make_member, earn):
    member = make_member()
    first = earn(member, 1000, occurred_at=clock() - timedelta(days=200))
    earn(member, 2000, occurred_at=clock() - timedelta(days=100))
    earn(member, 3000)
    as_of = first.expires_at + timedelta(days=150)
    assert expire_lots(database, as_of=as_of).points == 30
    assert get_balance(database, member.public_id, as_of=as_of).balance == 30


def test_points_that_never_expire_stay(database, clock, make_member, earn):
    update_settings(database, {"expiry_policy": "never", "expiry_months": None, "expiry_rounding": "none"},
                    now=clock())
    member = make_member()
    earn(member, 2000)
    assert expire_lots(database, as_of=clock() + timedelta(days=36500)).points == 0


def test_the_balance_shows_points_expiring_soon(database, clock, make_member, earn):
    member = make_member()
    earned = earn(member, 2000)
    soon = get_balance(database, member.public_id, as_of=earned.expires_at - timedelta(days=30))
    assert [(e.expires_at, e.points) for e in soon.expiring] == [(earned.expires_at, 20)]
