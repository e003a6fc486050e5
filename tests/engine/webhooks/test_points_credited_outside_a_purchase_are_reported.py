"""Every credit outside a purchase is a ``points.credited`` event named by its posting, so a
receiver that keeps members' balances misses none: a birthday bonus, a referrer's bonus, a
points grant, an imported opening balance, a cancelled voucher's points. Imported members
are ``member.enrolled`` events too. Nothing is written without an endpoint for the kind."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from engine.jobs.catalogue import JOBS
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.member_import import import_members, read_members_csv
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rewards import CancelVoucher, RedeemReward, cancel_voucher, create_reward, redeem_reward
from engine.rules.referrals import record_referral
from engine.rules.segments import create_segment
from engine.settings import get_settings, update_settings
from engine.webhooks import instant_text
from tests.conftest import new_key
from tests.support.webhook_events import event_ids, recorded


def credits(database) -> list[dict]:
    """The data of every ``points.credited`` event, by member."""
    found = [data for _, kind, data in recorded(database) if kind == "points.credited"]
    assert event_ids(database) >= {f"evt_credit_{data['transaction_id']}" for data in found}
    return sorted(found, key=lambda data: data["member_id"])


def test_the_birthday_bonus_job_reports_each_members_bonus(database, clock, subscribe, make_member):
    born = [make_member(birthday=date(1990, 3, 5)) for _ in range(2)]
    make_member(birthday=date(1990, 3, 6))
    subscribe("points.credited")
    day = clock().replace(month=3, day=5)
    JOBS["birthday_bonus"].run(database, day, None)
    found = credits(database)
    assert [(d["member_id"], d["points"], d["reason"], d["at"]) for d in found] == sorted(
        (m.public_id, 100, "birthday_bonus", instant_text(day)) for m in born)
    assert len({d["transaction_id"] for d in found}) == 2


def test_a_points_grant_reports_each_member_credited(database, clock, subscribe, make_member):
    members = [make_member() for _ in range(3)]
    create_segment(database, code="three", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(database, GrantPoints("three", 40, "our apologies to Mrs Smith", "sam"),
                          caller="staff:sam", idempotency_key=new_key(), now=clock())
    subscribe("points.credited")
    decide_grant(database, DecideGrant(grant.grant_id, True, "kim"), caller="staff:kim", idempotency_key=new_key(),
                 now=clock())
    found = credits(database)
    assert [(d["member_id"], d["points"], d["reason"]) for d in found] == sorted(
        (m.public_id, 40, "points_grant") for m in members)
    assert "Mrs Smith" not in repr(recorded(database))  # the grant's free text stays inside


def test_an_import_reports_every_member_enrolled_and_every_opening_balance(database, clock, subscribe):
    subscribe("member.enrolled", "points.credited")
    rows = read_members_csv("full_name,email,enrolled_at,opening_points\nAda,ada@example.org,2019-04-01,1200\n"
                            "Grace,grace@example.org,,0\n", now=clock(), timezone=get_settings(database).timezone)
    done = import_members(database, rows, caller="cli:ops", idempotency_key=new_key(), now=clock())
    ada, grace = (m.member_id for m in done.imported)
    enrolled = sorted((data["member_id"], data["enrolled_at"]) for _, kind, data in recorded(database)
                      if kind == "member.enrolled")
    assert enrolled == sorted([(ada, "2019-04-01T00:00:00Z"), (grace, instant_text(clock()))])
    assert [(d["member_id"], d["points"], d["reason"]) for d in credits(database)] == [
        (ada, 1200, "opening_balance")]


def test_a_referrers_bonus_is_reported_once_the_friend_has_bought(database, clock, subscribe, make_member, till):
    update_settings(database, {"referrer_points": 500, "referred_points": 250, "referral_min_total_minor": 1000},
                    now=clock())
    ada, grace = make_member(), make_member()
    record_referral(database, referrer_id=ada.public_id, referred_id=grace.public_id, now=clock())
    subscribe("points.credited")
    sold_at = clock() - timedelta(minutes=5)
    basket = Basket(till.store_code, till.code, "R-1", sold_at, "EUR", (BasketLine(1, "A", Decimal(1), 1200),),
                    member_id=grace.public_id)
    earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    [credit] = credits(database)
    assert {k: credit[k] for k in ("member_id", "points", "reason", "at")} == {
        "member_id": ada.public_id, "points": 500, "reason": "referral_bonus", "at": instant_text(sold_at)}


def test_a_cancelled_vouchers_points_given_back_are_reported(database, clock, subscribe, make_member):
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(days=1),
                  now=clock())
    member = make_member(points=500)
    issued = redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web", idempotency_key=new_key(),
                           now=clock())
    subscribe("points.credited")
    cancel_voucher(database, CancelVoucher(issued.voucher_code), caller="web", idempotency_key=new_key(),
                   now=clock())
    [credit] = credits(database)
    assert {k: credit[k] for k in ("member_id", "points", "reason", "at")} == {
        "member_id": member.public_id, "points": 300, "reason": "voucher_cancelled", "at": instant_text(clock())}
    assert credit["transaction_id"] > issued.transaction_id


@pytest.mark.parametrize("kinds", [("points.earned",), ("member.closed",)])
def test_without_an_endpoint_taking_credits_none_is_written(database, clock, subscribe, make_member, kinds):
    make_member(birthday=date(1990, 3, 5))
    subscribe(*kinds)
    JOBS["birthday_bonus"].run(database, clock().replace(month=3, day=5), None)
    assert recorded(database) == []
