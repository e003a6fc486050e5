"""Staff approving one grant at the same instant on a real PostgreSQL credit its members once;
several processes finishing one grant share its chunks and credit each member once; and a
grant posts while tills sell to the same members without a deadlock or a lost point."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InvalidState
from engine.ledger.balances import get_balance
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine import points_grants
from engine.points_grants import DecideGrant, GrantPoints, credit_grant, decide_grant, request_grant
from engine.rules.segments import create_segment
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.grants import approved_but_not_credited
from tests.support.races import all_at_once, handle_for_racers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

APPROVERS = 8
MEMBERS = 24


@pytest.fixture
def database(postgres_db):
    return postgres_db


@pytest.fixture
def racing(postgres_db):
    with handle_for_racers(postgres_db, APPROVERS) as racing:
        yield racing


def test_approvers_racing_for_one_grant_credit_each_member_once(postgres_db, racing, clock, make_member):
    members = [make_member() for _ in range(MEMBERS)]
    create_segment(postgres_db, code="all", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(postgres_db, GrantPoints("all", 250, "launch", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())

    def approve(n: int):
        return decide_grant(racing, DecideGrant(grant.grant_id, n % 2 == 0, f"approver{n}"), caller=f"staff:a{n}",
                            idempotency_key=new_key(), now=clock())

    decided, raised = all_at_once(approve, APPROVERS)
    assert len(decided) == 1, raised
    assert all(isinstance(e, InvalidState) and e.code == "grant_already_decided" for e in raised), raised
    credited = 250 if decided[0].status == "approved" else 0
    assert {get_balance(postgres_db, m.public_id, as_of=clock()).balance for m in members} == {credited}
    with postgres_db.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM points_grant_members")) == (MEMBERS if credited else 0)
    assert check_ledger(postgres_db) == []


def test_a_grant_posts_while_tills_sell_to_its_members(postgres_db, racing, clock, till, make_member):
    update_settings(postgres_db, {"pending_days": 0}, now=clock())
    members = [make_member() for _ in range(MEMBERS)]
    create_segment(postgres_db, code="all", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(postgres_db, GrantPoints("all", 100, "launch", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())

    def work(n: int):
        if n == 0:
            return decide_grant(racing, DecideGrant(grant.grant_id, True, "kim"), caller="staff:kim",
                                idempotency_key=new_key(), now=clock())
        # the tills go through the members in the opposite order to the grant's account locks
        for member in reversed(members[n - 1::APPROVERS - 1]):
            basket = Basket(till.store_code, till.code, f"R-{member.public_id}", clock(), "EUR",
                            (BasketLine(1, "A", Decimal(1), 1000),), member_id=member.public_id)
            earn_points(racing, basket, caller="S1-T1", idempotency_key=new_key(), now=clock())
        return None

    results, raised = all_at_once(work, APPROVERS)
    assert raised == []
    assert [r.members for r in results if r is not None] == [MEMBERS]
    assert {get_balance(postgres_db, m.public_id, as_of=clock()).balance for m in members} == {110}
    assert check_ledger(postgres_db) == []


def test_processes_finishing_one_grant_share_its_chunks_and_credit_each_member_once(postgres_db, racing, clock,
                                                                                    make_member, monkeypatch):
    monkeypatch.setattr(points_grants, "CHUNK", 2)
    members = [make_member() for _ in range(MEMBERS)]
    create_segment(postgres_db, code="all", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(postgres_db, GrantPoints("all", 40, "launch", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    approved_but_not_credited(postgres_db, grant.grant_id, members)
    finished, raised = all_at_once(lambda n: credit_grant(racing, grant.grant_id, now=clock()), APPROVERS)
    assert raised == []
    assert {(g.members, g.credited) for g in finished} == {(MEMBERS, MEMBERS)}
    assert {get_balance(postgres_db, m.public_id, as_of=clock()).balance for m in members} == {40}
    with postgres_db.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM points_grant_members")) == MEMBERS
    assert check_ledger(postgres_db) == []
