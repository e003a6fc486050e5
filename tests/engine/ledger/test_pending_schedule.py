from datetime import timedelta

from engine.ledger.balances import PendingPoints, get_balance, get_pending


def test_pending_points_are_listed_by_the_instant_they_become_available_soonest_first(database, clock,
                                                                                     make_member, earn):
    member = make_member(points=40)  # an adjustment: available at once, never pending
    first = earn(member, 2500)
    clock.advance(days=3)
    second = earn(member, 1000)
    assert get_pending(database, member.public_id, as_of=clock()) == [
        PendingPoints(first.available_at, 25), PendingPoints(second.available_at, 10)]


def test_the_pending_schedule_adds_up_to_the_balances_pending_points(database, clock, make_member, earn):
    member = make_member()
    earn(member, 2500)
    clock.advance(days=1)
    earn(member, 1200)
    for as_of in (clock(), clock() + timedelta(days=13, hours=12), clock() + timedelta(days=30)):
        pending = get_pending(database, member.public_id, as_of=as_of)
        assert sum(line.points for line in pending) == get_balance(database, member.public_id, as_of=as_of).pending


def test_points_that_became_available_leave_the_pending_schedule(database, clock, make_member, earn):
    member = make_member()
    earned = earn(member, 2500)
    assert get_pending(database, member.public_id, as_of=earned.available_at) == []
