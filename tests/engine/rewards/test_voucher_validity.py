"""A reward's vouchers can be usable for a number of days: a voucher keeps the end it got
when it was issued, is refused from that instant on (and nothing changes), and only support
can then cancel it to give the points back (not the member who let it expire); a reward without the setting issues vouchers
without end; changing the setting changes only later vouchers."""
import uuid
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.errors import InvalidInput
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.settings import get_settings
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, VoucherExpired, cancel_voucher, change_reward,
                            create_reward, get_reward, get_voucher, list_vouchers, redeem_reward, use_voucher)
from tests.support.assertions import refused_unchanged


def mug(database, clock, **options):
    return create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock() - timedelta(days=1),
                         now=clock(), **options)


def redeem(database, clock, member):
    return redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web",
                         idempotency_key=str(uuid.uuid4()), now=clock())


def use(database, clock, code: str):
    return use_voucher(database, UseVoucher(code), caller="S1-T1", idempotency_key=str(uuid.uuid4()), now=clock())


def test_a_voucher_is_usable_through_the_last_of_its_days_in_programme_time(database, clock, make_member):
    member = make_member(points=1000)
    assert mug(database, clock, voucher_valid_days=30).voucher_valid_days == 30
    early, late = redeem(database, clock, member), redeem(database, clock, member)
    zone = ZoneInfo(get_settings(database).timezone)
    ends = early.expires_at.astimezone(zone)
    assert (ends.date(), ends.time()) == (clock().astimezone(zone).date() + timedelta(days=31), time(0))
    assert get_voucher(database, early.voucher_code).expires_at == early.expires_at
    assert [v.expires_at for v in list_vouchers(database, member.public_id)] == [early.expires_at] * 2
    clock.advance(seconds=(early.expires_at - clock()).total_seconds() - 1)
    assert use(database, clock, early.voucher_code).status == "used"
    clock.advance(seconds=1)
    with refused_unchanged(database, VoucherExpired) as refusal:
        use(database, clock, late.voucher_code)
    last_day = (early.expires_at.astimezone(zone) - timedelta(days=1)).date()
    assert (refusal.value.code, refusal.value.message) == (
        "voucher_expired", f"voucher {late.voucher_code} was usable through {last_day.isoformat()}; it has expired")


def test_past_its_end_only_supports_goodwill_cancels_a_voucher_and_the_points_come_back(database, clock,
                                                                                        make_member):
    member = make_member(points=1000)
    mug(database, clock, voucher_valid_days=1)
    issued = redeem(database, clock, member)
    clock.advance(days=2)
    with refused_unchanged(database, VoucherExpired):  # the member who let it expire
        cancel_voucher(database, CancelVoucher(issued.voucher_code), caller=f"member:{member.public_id}",
                       idempotency_key=str(uuid.uuid4()), now=clock())
    cancelled = cancel_voucher(database, CancelVoucher(issued.voucher_code, after_its_end=True), caller="staff:sam",
                               idempotency_key=str(uuid.uuid4()), now=clock())
    assert cancelled.status == "cancelled"
    assert get_balance(database, member.public_id, as_of=clock()).available == 1000
    assert check_ledger(database) == []


def test_without_the_setting_a_voucher_has_no_end(database, clock, make_member):
    member = make_member(points=1000)
    assert mug(database, clock).voucher_valid_days is None
    issued = redeem(database, clock, member)
    assert issued.expires_at is None
    clock.advance(days=3650)
    assert use(database, clock, issued.voucher_code).status == "used"


def test_changing_the_days_changes_later_vouchers_only_and_zero_means_without_end(database, clock, make_member):
    member = make_member(points=1000)
    mug(database, clock, voucher_valid_days=10)
    first = redeem(database, clock, member)
    assert change_reward(database, "MUG", voucher_valid_days=90, now=clock()).voucher_valid_days == 90
    second = redeem(database, clock, member)
    assert change_reward(database, "MUG", voucher_valid_days=0, now=clock()).voucher_valid_days is None
    third = redeem(database, clock, member)
    assert (second.expires_at - first.expires_at, third.expires_at) == (timedelta(days=80), None)
    assert get_reward(database, "MUG").voucher_valid_days is None


@pytest.mark.parametrize("days", [0, -1, 3651, True, "30", 1.5])
def test_days_out_of_bounds_are_refused_naming_the_field(database, clock, days):
    with refused_unchanged(database, InvalidInput) as refusal:
        mug(database, clock, voucher_valid_days=days)
    assert [p.field for p in refusal.value.problems] == ["voucher_valid_days"]


@pytest.mark.parametrize("days", [-1, 3651, False])
def test_a_change_out_of_bounds_is_refused_and_the_reward_keeps_its_days(database, clock, days):
    mug(database, clock, voucher_valid_days=10)
    with refused_unchanged(database, InvalidInput) as refusal:
        change_reward(database, "MUG", voucher_valid_days=days, now=clock())
    assert [(p.field, p.message) for p in refusal.value.problems] == [
        ("voucher_valid_days", "must be a whole number of days from 0 to 3,650 (0: without end)")]
