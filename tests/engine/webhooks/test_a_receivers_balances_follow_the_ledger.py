"""A receiver that keeps each member's balance from the events alone ends with the ledger's
balance for every member, after every command that moves points: the events miss no posting
and count none twice."""
import json
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from engine.jobs.catalogue import JOBS
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.member_closure import CloseMember, close_member
from engine.member_import import import_members, read_members_csv
from engine.orm.members import MemberRow
from engine.orm.webhooks import WebhookDeliveryRow
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rewards import CancelVoucher, RedeemReward, cancel_voucher, create_reward, redeem_reward
from engine.rules.referrals import record_referral
from engine.rules.segments import create_segment
from engine.settings import get_settings, update_settings
from engine.webhooks import EVENT_KINDS


def change(kind: str, data: dict) -> int:
    """What an event says the member's balance moved by."""
    return {
        "points.earned": lambda: data["points"],
        "points.refunded": lambda: (data["points_returned"] - data["points_reversed"] + data["points_written_off"]
                                    + data["points_expired"]),
        "points.spent": lambda: -data["points"],
        "points.adjusted": lambda: data["points"],
        "points.credited": lambda: data["points"],
        "points.expired": lambda: -data["points"],
        "reward.redeemed": lambda: -data["points"],
        "member.closed": lambda: data["debt_forgiven"] - data["points_forfeited"],
    }.get(kind, lambda: 0)()


def mirrored(database) -> Counter:
    """Each member's balance as a receiver of every event would keep it."""
    with database.transaction() as session:
        bodies = session.scalars(sa.select(WebhookDeliveryRow.body).order_by(WebhookDeliveryRow.id))
        events = [json.loads(body) for body in bodies]
    assert len({event["id"] for event in events}) == len(events)  # one endpoint: each event once
    balances = Counter()
    for event in events:
        balances[event["data"]["member_id"]] += change(event["kind"], event["data"])
    return balances


def test_balances_kept_from_the_events_are_the_ledgers(database, clock, till, subscribe, make_member, earn):
    update_settings(database, {"referrer_points": 300, "referred_points": 150, "referral_min_total_minor": 1000,
                               "expiry_months": 1, "expiry_rounding": "none", "pending_days": 0}, now=clock())
    subscribe(*EVENT_KINDS)
    ada, bob, cy = make_member(birthday=date(1990, 3, 5)), make_member(), make_member()
    key = lambda: str(uuid.uuid4())  # noqa: E731
    earn(ada, 4000, 2000, receipt="R-1")
    refund_receipt(database, RefundReceipt("S1", "S1-T1", "R-1", (RefundLine(2, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=key(), now=clock())
    adjust_points(database, AdjustPoints(ada.public_id, 500, "goodwill", "sam"), caller="staff:sam",
                  idempotency_key=key(), now=clock())
    adjust_points(database, AdjustPoints(bob.public_id, 90, "goodwill", "sam"), caller="staff:sam",
                  idempotency_key=key(), now=clock())
    held = place_hold(database, PlaceHold("S1", "S1-T1", 120, member_id=ada.public_id), caller="S1-T1",
                      idempotency_key=key(), now=clock())
    capture_hold(database, CaptureHold(held.hold_id, 100, receipt_number="R-2"), caller="S1-T1",
                 idempotency_key=key(), now=clock())
    create_reward(database, code="MUG", name="Mug", points_price=200, valid_from=clock() - timedelta(days=1),
                  now=clock())
    redeem_reward(database, RedeemReward("MUG", ada.public_id), caller="web", idempotency_key=key(), now=clock())
    given_back = redeem_reward(database, RedeemReward("MUG", ada.public_id), caller="web", idempotency_key=key(),
                               now=clock())
    cancel_voucher(database, CancelVoucher(given_back.voucher_code), caller="web", idempotency_key=key(), now=clock())
    create_segment(database, code="two", member_ids=[ada.public_id, bob.public_id], now=clock())
    grant = request_grant(database, GrantPoints("two", 40, "sorry", "sam"), caller="staff:sam",
                          idempotency_key=key(), now=clock())
    decide_grant(database, DecideGrant(grant.grant_id, True, "kim"), caller="staff:kim", idempotency_key=key(),
                 now=clock())
    JOBS["birthday_bonus"].run(database, clock().replace(month=3, day=5), None)
    record_referral(database, referrer_id=bob.public_id, referred_id=cy.public_id, now=clock())
    earn_points(database, Basket("S1", "S1-T1", "R-3", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 1500),),
                                 member_id=cy.public_id), caller="S1-T1", idempotency_key=key(), now=clock())
    rows = read_members_csv("full_name,email,opening_points\nDee,dee@example.org,700\n", now=clock(),
                            timezone=get_settings(database).timezone)
    dee = import_members(database, rows, caller="cli:ops", idempotency_key=key(), now=clock()).imported[0].member_id
    close_member(database, CloseMember(bob.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=key(), now=clock())
    with database.transaction() as session:
        everyone = list(session.scalars(sa.select(MemberRow.public_id)))
    assert set(everyone) == {ada.public_id, bob.public_id, cy.public_id, dee}
    assert balances_agree(database, everyone, clock())
    later = clock() + timedelta(days=40)
    clock.advance(days=20)
    earn(cy, 900, receipt="R-4")  # what the expiry leaves
    assert expire_lots(database, as_of=later).members == 3
    assert balances_agree(database, everyone, later)
    clock.advance(days=20)
    refunded = refund_receipt(database, RefundReceipt("S1", "S1-T1", "R-3", (RefundLine(1, Decimal(1)),), clock()),
                              caller="S1-T1", idempotency_key=key(), now=clock())
    assert refunded.points_expired == refunded.points_reversed > 0  # cy's first purchase: its points expired
    assert balances_agree(database, everyone, later)
    assert check_ledger(database) == []


def balances_agree(database, members: list[str], at) -> bool:
    mirror = mirrored(database)
    assert {m: mirror[m] for m in members} == {m: get_balance(database, m, as_of=at).balance for m in members}
    return True
