import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from engine.jobs.catalogue import JOBS, birthday_due, expiry_warning_due
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import LotRow
from engine.settings import update_settings

BIRTHDAY_BONUS_POINTS = 100  # the programme's default


@pytest.mark.parametrize("birthday, on, due", [
    (date(1990, 3, 2), date(2026, 3, 2), True),
    (date(1990, 3, 2), date(2026, 3, 3), False),
    (date(1992, 2, 29), date(2026, 2, 28), True),
    (date(1992, 2, 29), date(2028, 2, 28), False),
    (date(1992, 2, 29), date(2028, 2, 29), True),
    (None, date(2026, 3, 2), False),
])
def test_the_birthday_policy(birthday, on, due):
    assert birthday_due(birthday, on) is due


def test_a_birthday_bonus_is_given_once_a_year(database, clock, make_member, run, midnight):
    member = make_member(birthday=date(1990, 3, 5))
    make_member(birthday=date(1990, 3, 6))
    make_member()
    day = midnight(2026, 3, 5)
    [bonus] = run("birthday_bonus", day)
    assert bonus.summary == {"members": 1, "points": BIRTHDAY_BONUS_POINTS}
    assert get_balance(database, member.public_id, as_of=day).available == BIRTHDAY_BONUS_POINTS
    assert JOBS["birthday_bonus"].run(database, day + timedelta(hours=5), None) == {"members": 0, "points": 0}
    next_year = midnight(2027, 3, 5)
    assert run("birthday_bonus", next_year)[-1].summary["members"] == 1
    assert check_ledger(database) == []


def test_the_birthday_bonus_sql_agrees_with_the_policy_on_leap_days(database, clock, make_member, midnight):
    clock.advance(days=-3)  # members of the programme by 28 February 2026
    born = {make_member(birthday=b).public_id: b for b in
            (date(1992, 2, 29), date(1990, 2, 28), date(1990, 3, 1), date(1991, 2, 27))}
    for day in (midnight(2026, 2, 28), midnight(2028, 2, 28), midnight(2028, 2, 29)):
        expected = {public for public, birthday in born.items() if birthday_due(birthday, day.date())}
        before = {p: get_balance(database, p, as_of=day).balance for p in born}
        JOBS["birthday_bonus"].run(database, day, None)  # that day alone, no catch-up
        got = {p for p in born if get_balance(database, p, as_of=day).balance > before[p]}
        assert got == expected
    assert check_ledger(database) == []


def test_expiry_warnings_sql_agrees_with_the_policy_and_is_written_once(database, clock, make_member, earn, run):
    member = make_member()
    for age in (800, 720, 700, 600, 10):
        earn(member, 1000 + age, occurred_at=clock() - timedelta(days=age))
    as_of = clock()
    with database.transaction() as session:
        lots = session.execute(sa.select(LotRow.expires_at, LotRow.remaining)).all()
    expected = sorted({expires for expires, remaining in lots if remaining and expiry_warning_due(expires, as_of, 30)})
    [done] = run("expiry_warnings", as_of)
    assert done.summary == {"messages": len(expected), "vouchers": 0}
    with database.engine.connect() as connection:
        payloads = [json.loads(p) for (p,) in connection.execute(
            sa.text("SELECT payload FROM outbox_messages ORDER BY id"))]
    assert sorted(p["expires_at"] for p in payloads) == [e.strftime("%Y-%m-%dT%H:%M:%SZ") for e in expected]
    assert run("expiry_warnings", as_of + timedelta(days=1))[-1].summary == {"messages": 0, "vouchers": 0}


def test_the_birthday_bonus_comes_from_the_programme_settings(database, clock, make_member, run, midnight):
    update_settings(database, {"birthday_bonus_points": 250}, now=clock())
    make_member(birthday=date(1990, 3, 5))
    assert run("birthday_bonus", midnight(2026, 3, 5))[-1].summary == {"members": 1, "points": 250}
    update_settings(database, {"birthday_bonus_points": 0}, now=clock())
    make_member(birthday=date(1990, 3, 6))
    assert run("birthday_bonus", midnight(2026, 3, 6))[-1].summary == {"members": 0, "points": 0}


def test_a_wider_warning_window_announces_points_expiring_later(database, clock, make_member, earn, run):
    earn(make_member(), 5000)  # expires in about two years
    assert run("expiry_warnings", clock())[-1].summary == {"messages": 0, "vouchers": 0}
    update_settings(database, {"expiry_warning_days": 365}, now=clock())
    runs = run("expiry_warnings", clock() + timedelta(days=400))  # catching up day by day
    assert sum(r.summary["messages"] for r in runs) == 1


def test_a_catch_up_gives_no_bonus_for_a_birthday_before_the_member_joined(database, clock, make_member, run,
                                                                           midnight):
    joined_before = make_member(birthday=date(1990, 3, 3))  # the clock starts on 2 March
    run("birthday_bonus", midnight(2026, 3, 2))
    clock.advance(days=3)
    joined_after = make_member(birthday=date(1990, 3, 3))
    runs = run("birthday_bonus", midnight(2026, 3, 5) + timedelta(hours=12))  # down since the 2nd: a catch-up
    assert [(r.as_of.day, r.summary["members"]) for r in runs] == [(3, 1), (4, 0), (5, 0), (5, 0)]
    assert get_balance(database, joined_before.public_id, as_of=clock()).available == BIRTHDAY_BONUS_POINTS
    assert get_balance(database, joined_after.public_id, as_of=clock()).available == 0
