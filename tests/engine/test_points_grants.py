"""Points grants: one person asks for the same bonus for every member of a segment, another
approves it; approval credits each active member once, with a lot that first pays any debt;
nothing moves before, on a refusal or on a rejection."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.commands import AdjustPoints, RefundLine, RefundReceipt
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.member_closure import CloseMember, close_member
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, get_grant, list_grants, request_grant
from engine.rules.segments import create_segment, upload_segment
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def ask(database, clock):
    """``ask(segment, points)``: a grant requested by sam."""
    def run(segment: str, points: int = 500, *, reason: str = "sorry for Saturday", actor: str = "sam", key=None):
        return request_grant(database, GrantPoints(segment, points, reason, actor), caller="staff:sam",
                             idempotency_key=key or new_key(), now=clock())
    return run


@pytest.fixture
def decide(database, clock):
    """``decide(grant_id, approve=True, actor="kim")``: a second person's decision."""
    def run(grant_id: str, approve: bool = True, *, actor: str = "kim", key=None):
        return decide_grant(database, DecideGrant(grant_id, approve, actor), caller=f"staff:{actor}",
                            idempotency_key=key or new_key(), now=clock())
    return run


@pytest.fixture
def listed(database, clock):
    """``listed("name", *members)``: a list segment of those members."""
    def make(code: str, *members):
        create_segment(database, code=code, member_ids=[m.public_id for m in members], now=clock())
        return code
    return make


def balance(database, clock, member):
    return get_balance(database, member.public_id, as_of=clock()).available


def test_a_grant_waits_for_a_second_person_and_then_credits_every_member_of_the_segment(database, clock, make_member,
                                                                                        ask, decide, listed):
    first, second, outsider = make_member(), make_member(points=30), make_member()
    asked = ask(listed("apology", first, second), 500)
    assert (asked.status, asked.members, asked.total_points) == ("pending", 2, 1000)
    assert [balance(database, clock, m) for m in (first, second, outsider)] == [0, 30, 0]
    approved = decide(asked.grant_id)
    assert (approved.status, approved.members, approved.total_points, approved.decided_by) == (
        "approved", 2, 1000, "kim")
    assert [balance(database, clock, m) for m in (first, second, outsider)] == [500, 530, 0]
    assert get_grant(database, asked.grant_id) == approved
    with database.transaction() as session:
        posted = session.execute(sa.text(
            "SELECT kind, points, description, actor FROM ledger_transactions WHERE description = 'sorry for Saturday'"
        )).all()
    # named by the grant, which keeps who asked and who approved
    assert sorted(posted) == [("adjust", 500, "sorry for Saturday", asked.grant_id)] * 2
    assert check_ledger(database) == []


def test_the_credited_points_expire_under_the_programme_policy_and_first_pay_a_debt(database, clock, make_member, earn,
                                                                                    till, ask, decide, listed):
    update_settings(database, {"pending_days": 0}, now=clock())
    debtor = make_member(points=10)
    earn(debtor, 5000, receipt="R1")
    adjust_points(database, AdjustPoints(debtor.public_id, -40, "spent elsewhere", "tests"), caller="tests",
                  idempotency_key=new_key(), now=clock())
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert get_balance(database, debtor.public_id, as_of=clock()).debt == 30
    decide(ask(listed("debtors", debtor), 100).grant_id)
    after = get_balance(database, debtor.public_id, as_of=clock())
    assert (after.balance, after.debt, after.available) == (70, 0, 70)
    with database.transaction() as session:
        expires = session.scalar(sa.text("SELECT MAX(expires_at) FROM lots WHERE amount = 100"))
    assert expires is not None  # the default policy: 24 months after earning
    assert check_ledger(database) == []


def test_suspended_and_closed_accounts_get_nothing(database, clock, make_member, ask, decide, listed):
    active, suspended, closed = make_member(), make_member(), make_member()
    code = listed("everyone", active, suspended, closed)
    with database.transaction() as session:
        session.execute(sa.text("UPDATE members SET status = 'suspended' WHERE public_id = :id"),
                        {"id": suspended.public_id})
    close_member(database, CloseMember(closed.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    assert ask(code).members == 1
    assert decide(ask(code).grant_id).members == 1
    assert [balance(database, clock, m) for m in (active, suspended)] == [500, 0]


def test_a_predicate_segment_is_taken_as_it_is_at_approval(database, clock, make_member, ask, decide):
    gold = make_member()
    create_segment(database, code="gold", predicate={"attributes": {"club": ["gold"]}}, now=clock())
    asked = ask("gold")
    assert asked.members == 0
    with database.transaction() as session:
        session.execute(sa.text("INSERT INTO member_attributes (member_id, name, value) "
                                "SELECT id, 'club', 'gold' FROM members WHERE public_id = :id"), {"id": gold.public_id})
    assert decide(asked.grant_id).members == 1
    assert balance(database, clock, gold) == 500


def test_the_requester_cannot_decide_and_a_grant_is_decided_once(database, clock, make_member, ask, decide, listed):
    member = make_member()
    asked = ask(listed("one", member))
    with refused_unchanged(database, NotAllowed, "four_eyes_required"):
        decide(asked.grant_id, actor="sam")
    decide(asked.grant_id)
    with refused_unchanged(database, InvalidState, "grant_already_decided"):
        decide(asked.grant_id, actor="lee")
    with refused_unchanged(database, InvalidState, "grant_already_decided"):
        decide(asked.grant_id, False, actor="lee")
    assert balance(database, clock, member) == 500


def test_a_list_uploaded_again_after_the_grant_was_asked_for_is_not_approved_only_rejected(
        database, clock, make_member, ask, decide, listed):
    asked_for, put_in_later = make_member(), make_member()
    grant = ask(listed("apologies", asked_for))
    upload_segment(database, "apologies", [put_in_later.public_id])
    with refused_unchanged(database, InvalidState, code="segment_changed"):
        decide(grant.grant_id)
    assert decide(grant.grant_id, approve=False).status == "rejected"
    assert balance(database, clock, asked_for) == balance(database, clock, put_in_later) == 0
    assert decide(ask("apologies").grant_id).members == 1  # asked for again, as the list is now


def test_a_rejected_grant_moves_nothing(database, clock, make_member, ask, decide, listed):
    member = make_member()
    rejected = decide(ask(listed("one", member)).grant_id, approve=False)
    assert (rejected.status, rejected.members, rejected.total_points) == ("rejected", 0, 0)
    assert balance(database, clock, member) == 0
    assert [g.status for g in list_grants(database)] == ["rejected"]
    assert list_grants(database, status="pending") == []


def test_a_retried_approval_gets_the_first_answer_and_credits_once(database, clock, make_member, ask, decide, listed):
    member = make_member()
    asked = ask(listed("one", member))
    first = decide(asked.grant_id, key="approve-1")
    clock.advance(minutes=5)
    assert decide(asked.grant_id, key="approve-1") == first
    assert ask("one", key="ask-1") == ask("one", key="ask-1")
    assert balance(database, clock, member) == 500


@pytest.mark.parametrize("points, reason, actor, field", [
    (0, "why", "sam", "points"), (-5, "why", "sam", "points"), (10**6 + 1, "why", "sam", "points"),
    (True, "why", "sam", "points"), ("500", "why", "sam", "points"), (500, " ", "sam", "reason"),
    (500, "x" * 201, "sam", "reason"), (500, "why", "", "actor"), (500, "why", "s" * 101, "actor"),
])
def test_a_grant_that_cannot_be_right_is_refused_naming_the_field(database, make_member, ask, listed, points, reason,
                                                                  actor, field):
    code = listed("one", make_member())
    with refused_unchanged(database, InvalidInput) as refusal:
        ask(code, points, reason=reason, actor=actor)
    assert [p.field for p in refusal.value.problems] == [field]


def test_an_unknown_segment_or_grant_is_refused(database, ask, decide):
    with refused_unchanged(database, NotFound):
        ask("nobody")
    with refused_unchanged(database, NotFound):
        decide("grant_0000")


def test_the_largest_grant_credits_to_the_point(database, clock, make_member, ask, decide, listed):
    members = [make_member() for _ in range(3)]
    decide(ask(listed("three", *members), 10**6).grant_id)
    clock.advance(days=1)
    assert [balance(database, clock, m) for m in members] == [10**6] * 3
    assert check_ledger(database) == []
