import threading
import uuid
from datetime import timedelta

import pytest

from engine.database import Database
from engine.errors import InsufficientPoints, InvalidInput, NotFound
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.rewards import (CancelVoucher, OutOfStock, RedeemReward, RedemptionLimitReached, RewardNotAvailable,
                            UseVoucher, VoucherNotUsable, cancel_voucher, create_reward, list_rewards, redeem_reward,
                            use_voucher)
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.support.assertions import refused_unchanged


@pytest.fixture
def reward(database, clock):
    def make(code="MUG", price=300, **options):
        options.setdefault("valid_from", clock() - timedelta(days=1))
        return create_reward(database, code=code, name=code.title(), points_price=price, now=clock(), **options)
    return make


def redeem(database, clock, member, code="MUG", key=None):
    return redeem_reward(database, RedeemReward(code, member.public_id), caller="web", idempotency_key=key or
                         str(uuid.uuid4()), now=clock())


def test_redeeming_takes_points_and_stock_together_and_issues_a_voucher(database, clock, make_member, reward):
    member = make_member(points=1000)
    reward(stock=5)
    issued = redeem(database, clock, member)
    assert issued.points == 300 and issued.voucher_code.startswith("V")
    assert get_balance(database, member.public_id, as_of=clock()).balance == 700
    assert list_rewards(database, as_of=clock())[0].stock == 4
    assert check_ledger(database) == []


def test_a_retry_with_the_same_key_issues_no_second_voucher(database, clock, make_member, reward):
    member = make_member(points=1000)
    reward(stock=5)
    first = redeem(database, clock, member, key="k")
    assert redeem(database, clock, member, key="k") == first
    assert list_rewards(database, as_of=clock())[0].stock == 4


def test_without_enough_points_nothing_moves(database, clock, make_member, reward):
    member = make_member(points=100)
    reward(stock=5)
    with refused_unchanged(database, InsufficientPoints):
        redeem(database, clock, member)


def test_out_of_stock_and_limits_and_validity_are_refused(database, clock, make_member, reward):
    member = make_member(points=5000)
    reward("LAST", stock=1)
    reward("ONCE", per_member_limit=1)
    reward("LATER", valid_from=clock() + timedelta(days=1))
    redeem(database, clock, member, "LAST")
    with refused_unchanged(database, OutOfStock):
        redeem(database, clock, member, "LAST")
    redeem(database, clock, member, "ONCE")
    with refused_unchanged(database, RedemptionLimitReached):
        redeem(database, clock, member, "ONCE")
    with refused_unchanged(database, RewardNotAvailable):
        redeem(database, clock, member, "LATER")
    with refused_unchanged(database, NotFound):
        redeem(database, clock, member, "NOPE")


def test_a_voucher_is_used_once(database, clock, make_member, reward):
    member = make_member(points=1000)
    reward()
    issued = redeem(database, clock, member)
    assert use(database, clock, issued.voucher_code).status == "used"
    with refused_unchanged(database, VoucherNotUsable):
        use(database, clock, issued.voucher_code)
    with refused_unchanged(database, VoucherNotUsable):
        cancel_voucher(database, CancelVoucher(issued.voucher_code), caller="web", idempotency_key="c",
                       now=clock())


def test_cancelling_a_voucher_returns_its_points_and_stock(database, clock, make_member, reward):
    member = make_member(points=1000)
    reward(stock=2)
    issued = redeem(database, clock, member)
    cancelled = cancel_voucher(database, CancelVoucher(issued.voucher_code), caller="web", idempotency_key="c",
                               now=clock())
    assert cancelled.status == "cancelled"
    assert get_balance(database, member.public_id, as_of=clock()).available == 1000
    assert list_rewards(database, as_of=clock())[0].stock == 2
    with refused_unchanged(database, VoucherNotUsable):
        use(database, clock, issued.voucher_code)
    assert check_ledger(database) == []


def test_a_tier_price_applies_to_members_of_that_tier(database, clock, make_member, reward):
    define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)],
                 TierPolicy(), now=clock())
    gold, basic = make_member(points=1000), make_member(points=1000)
    assign_tier(database, gold.public_id, "GOLD", reason="test", actor="t", now=clock())
    reward(price=300, tier_prices={"GOLD": 200})
    assert list_rewards(database, as_of=clock(), member_id=gold.public_id)[0].price_for_member == 200
    assert redeem(database, clock, gold).points == 200
    assert redeem(database, clock, basic).points == 300


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_members_racing_for_the_last_item_one_wins_and_the_books_agree(database, clock, make_member, reward):
    for round_ in range(5):
        members = [make_member(points=500) for _ in range(2)]
        reward(f"LAST{round_}", stock=1)
        barrier = threading.Barrier(2)
        outcomes = []

        def go(member):
            db = Database(database.url.render_as_string(hide_password=False))
            try:
                barrier.wait()
                outcomes.append(redeem(db, clock, member, f"LAST{round_}"))
            except OutOfStock as refusal:
                outcomes.append(refusal)
            finally:
                db.dispose()
        threads = [threading.Thread(target=go, args=(m,)) for m in members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        assert len(outcomes) == 2 and len(winners) == 1
        balances = sorted(get_balance(database, m.public_id, as_of=clock()).balance for m in members)
        assert balances == [200, 500]
        assert [r.stock for r in list_rewards(database, as_of=clock()) if r.code == f"LAST{round_}"] == [0]
    assert check_ledger(database) == []


def use(database, clock, code: str, key: str | None = None):
    return use_voucher(database, UseVoucher(code), caller="S1-T1", idempotency_key=key or str(uuid.uuid4()),
                       now=clock())


def test_a_retried_use_gets_the_first_answer_and_uses_the_voucher_once(database, clock, make_member, reward):
    reward()
    issued = redeem(database, clock, make_member(points=600))
    key = str(uuid.uuid4())
    assert use(database, clock, issued.voucher_code, key) == use(database, clock, issued.voucher_code, key)
    with pytest.raises(VoucherNotUsable):
        use(database, clock, issued.voucher_code)


@pytest.mark.parametrize("code", ["a/b", "qa lower", " MUG", "-MUG", "M" * 33, "KAFFEE\u00e9", ""])
def test_a_reward_code_that_could_not_name_it_in_an_address_is_refused(database, clock, code):
    with refused_unchanged(database, InvalidInput) as refused:
        create_reward(database, code=code, name="Mug", points_price=300, valid_from=clock(), now=clock())
    assert [p.field for p in refused.value.problems] == ["code"]
