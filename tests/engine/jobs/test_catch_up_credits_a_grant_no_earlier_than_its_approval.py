"""A scheduler that was down catches up with the instants of the days it missed; the grants
job among them credits what an approval left uncredited dated no earlier than the approval,
so every member of the grant has the same day on the books and the same expiry."""
from datetime import timedelta

import sqlalchemy as sa

from engine import points_grants
from engine.jobs.runs import run_job
from engine.orm.ledger import LedgerTransactionRow, LotRow
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, get_grant, request_grant
from engine.rules.segments import create_segment
from tests.conftest import new_key


def test_a_catch_up_for_days_before_the_approval_credits_at_the_approval(database, clock, make_member, monkeypatch):
    monkeypatch.setattr(points_grants, "CHUNK", 2)
    members = [make_member() for _ in range(5)]
    create_segment(database, code="five", member_ids=[m.public_id for m in members], now=clock())
    missed_day = clock()
    run_job(database, "grants", as_of=missed_day - timedelta(days=1), now=clock(), worker="scheduler")
    approved_at = clock.advance(days=2)
    asked = request_grant(database, GrantPoints("five", 100, "sorry", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=approved_at)
    left = decide_grant(database, DecideGrant(asked.grant_id, True, "kim"), caller="staff:kim",
                        idempotency_key=new_key(), now=approved_at, seconds=0)
    assert left.credited == 2

    runs = run_job(database, "grants", as_of=approved_at, now=clock.advance(minutes=5), worker="scheduler")
    assert runs[0].as_of == missed_day and get_grant(database, asked.grant_id).credited == 5
    with database.transaction() as session:
        dated = session.execute(sa.select(LedgerTransactionRow.posted_at, LotRow.expires_at)
                                .join(LotRow, LotRow.transaction_id == LedgerTransactionRow.id)
                                .where(LedgerTransactionRow.description == "sorry")).all()
    assert len(dated) == 5 and {posted for posted, _ in dated} == {approved_at}
    assert len({expires for _, expires in dated}) == 1
