"""Each event is recorded in the transaction of what it reports: for every active endpoint
taking its kind, never for a refused command, and without a member's personal data."""
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InsufficientPoints, ReceiptAlreadyEarned
from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.refunds import refund_receipt
from engine.access.member_logins import sign_up_member
from engine.member_closure import UNCONFIRMED_SIGN_UP_DAYS, CloseMember, close_member, close_unconfirmed_sign_ups
from engine.members import find_members
from engine.orm.webhooks import WebhookDeliveryRow
from engine.rewards import RedeemReward, UseVoucher, VoucherNotUsable, create_reward, redeem_reward, use_voucher
from engine.settings import update_settings
from engine.webhooks import change_endpoint, instant_text
from tests.support.webhook_events import recorded
from tests.support.webhook_receiver import LOCAL


def test_without_an_endpoint_for_its_kind_nothing_is_recorded(database, subscribe, make_member, earn):
    subscribe("reward.redeemed")
    earn(make_member(), 1000)
    assert recorded(database) == []


def test_every_endpoint_taking_the_kind_gets_the_same_event(database, receiver, subscribe, make_member):
    first = subscribe("member.enrolled").endpoint
    second = subscribe("member.enrolled", "points.earned", url=receiver.url + "/2").endpoint
    member = make_member(email="private@example.org", full_name="Private Person")
    [(one, kind, data), (two, _, same)] = recorded(database)
    assert (one, two, kind) == (first.id, second.id, "member.enrolled")
    assert data == same == {"member_id": member.public_id, "enrolled_at": "2026-03-02T10:00:00Z"}
    with database.transaction() as session:
        bodies = " ".join(session.scalars(sa.select(WebhookDeliveryRow.body)))
        assert len(set(session.scalars(sa.select(WebhookDeliveryRow.event_id)))) == 1
    assert "private@example.org" not in bodies and "Private Person" not in bodies


def test_a_refused_earning_records_no_event(database, clock, subscribe, make_member, earn):
    subscribe("points.earned")
    member = make_member()
    earn(member, 1000, receipt="R-1")
    with pytest.raises(ReceiptAlreadyEarned):
        earn(member, 1000, receipt="R-1")  # the same receipt under a new key
    assert len(recorded(database)) == 1


def test_a_refund_reports_the_points_taken_back(database, clock, subscribe, make_member, earn):
    subscribe("points.refunded")
    member = make_member()
    earn(member, 1000, 500, receipt="R-1")
    refunded = refund_receipt(database, RefundReceipt("S1", "S1-T1", "R-1", (RefundLine(2, Decimal(1)),), clock()),
                              caller="S1-T1", idempotency_key=str(uuid.uuid4()), now=clock())
    [(_, kind, data)] = recorded(database)
    assert kind == "points.refunded"
    assert data == {"member_id": member.public_id, "store": "S1", "terminal": "S1-T1", "receipt": "R-1",
                    "occurred_at": "2026-03-02T10:00:00Z", "amount_minor": 500,
                    "points_reversed": refunded.points_reversed, "points_returned": 0, "points_written_off": 0,
                    "points_expired": 0, "transaction_id": refunded.transaction_id}


def test_a_redeemed_reward_is_reported_without_the_vouchers_code(database, clock, subscribe, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(days=1),
                  now=clock())
    subscribe("reward.redeemed")
    rich, poor = make_member(points=500), make_member(points=100)
    issued = redeem_reward(database, RedeemReward("MUG", rich.public_id), caller="web",
                           idempotency_key=str(uuid.uuid4()), now=clock())
    with pytest.raises(InsufficientPoints):
        redeem_reward(database, RedeemReward("MUG", poor.public_id), caller="web",
                      idempotency_key=str(uuid.uuid4()), now=clock())
    [(_, kind, data)] = recorded(database)
    assert kind == "reward.redeemed"
    assert data == {"member_id": rich.public_id, "reward": "MUG", "points": 300,
                    "voucher_expires_at": None if issued.expires_at is None else instant_text(issued.expires_at),
                    "transaction_id": issued.transaction_id}
    assert issued.voucher_code not in json.dumps(data)


def test_paying_with_points_at_a_till_is_reported_once_captured(database, clock, till, subscribe, make_member):
    subscribe("points.spent")
    member = make_member(points=500)
    placed = place_hold(database, PlaceHold(till.store_code, till.code, 200, member_id=member.public_id),
                        caller="S1-T1", idempotency_key=str(uuid.uuid4()), now=clock())
    assert recorded(database) == []  # a hold is not spent yet
    captured = capture_hold(database, CaptureHold(placed.hold_id, 150, receipt_number="R-9"), caller="S1-T1",
                            idempotency_key=str(uuid.uuid4()), now=clock())
    assert [(kind, data) for _, kind, data in recorded(database)] == [("points.spent", {
        "member_id": member.public_id, "store": "S1", "terminal": "S1-T1", "receipt": "R-9", "points": 150,
        "value_minor": captured.value_minor, "transaction_id": captured.transaction_id})]


def test_a_staff_adjustment_is_reported_without_its_reason(database, clock, subscribe, make_member):
    subscribe("points.adjusted")
    member = make_member()
    adjusted = adjust_points(database, AdjustPoints(member.public_id, 75, "goodwill for Mrs Smith", "sam"),
                             caller="staff:sam", idempotency_key=str(uuid.uuid4()), now=clock())
    [(_, kind, data)] = recorded(database)
    assert (kind, data) == ("points.adjusted", {"member_id": member.public_id, "points": 75,
                                                "transaction_id": adjusted.transaction_id})


def test_a_closed_member_is_reported_with_the_points_forfeited(database, clock, subscribe, make_member):
    member = make_member(points=250)
    subscribe("member.closed")
    close_member(database, CloseMember(member.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=str(uuid.uuid4()), now=clock())
    assert [(kind, data) for _, kind, data in recorded(database)] == [
        ("member.closed", {"member_id": member.public_id, "points_forfeited": 250, "debt_forgiven": 0})]


def test_sign_ups_closed_unconfirmed_by_the_nightly_job_are_reported_closed(database, clock, subscribe):
    sign_up_member(database, full_name="Ada", email="ada@example.org", now=clock())
    [member] = find_members(database, "ada@example.org")
    subscribe("member.closed")
    assert close_unconfirmed_sign_ups(database, as_of=clock() + timedelta(days=UNCONFIRMED_SIGN_UP_DAYS)) == 1
    assert [(kind, data) for _, kind, data in recorded(database)] == [
        ("member.closed", {"member_id": member.public_id, "points_forfeited": 0, "debt_forgiven": 0})]


def test_the_nightly_expiry_reports_each_members_expired_points_named_by_its_posting(database, clock, subscribe,
                                                                                     make_member, earn):
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none", "pending_days": 0}, now=clock())
    members = [make_member() for _ in range(2)]
    for n, member in enumerate(members):
        earn(member, 1000 * (n + 1))
    subscribe("points.expired")
    as_of = clock() + timedelta(days=40)
    assert expire_lots(database, as_of=as_of).members == 2
    assert expire_lots(database, as_of=as_of).members == 0
    found = recorded(database)
    assert sorted((data["member_id"], data["points"], data["at"]) for _, kind, data in found) == sorted(
        (m.public_id, 10 * (n + 1), instant_text(as_of)) for n, m in enumerate(members))
    with database.transaction() as session:
        ids = set(session.scalars(sa.select(WebhookDeliveryRow.event_id)))
    assert ids == {f"evt_expire_{data['transaction_id']}" for _, _, data in found}


def test_an_endpoint_deactivated_by_another_process_takes_no_more_events(database, clock, subscribe, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    make_member()
    change_endpoint(database, endpoint.id, allowed_private=LOCAL, active=False)
    make_member()
    assert len(recorded(database)) == 1


def test_a_used_voucher_is_reported_without_its_code(database, clock, subscribe, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(days=1),
                  now=clock())
    member = make_member(points=500)
    issued = redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web",
                           idempotency_key=str(uuid.uuid4()), now=clock())
    subscribe("reward.used")
    use_voucher(database, UseVoucher(issued.voucher_code), caller="S1-T1", idempotency_key=str(uuid.uuid4()),
                now=clock())
    with pytest.raises(VoucherNotUsable):  # used already: refused, nothing recorded
        use_voucher(database, UseVoucher(issued.voucher_code), caller="S1-T1", idempotency_key=str(uuid.uuid4()),
                    now=clock())
    [(_, kind, data)] = recorded(database)
    assert (kind, data) == ("reward.used", {"member_id": member.public_id, "reward": "MUG", "points": 300,
                                            "used_at": instant_text(clock())})
    assert issued.voucher_code not in json.dumps(data)
