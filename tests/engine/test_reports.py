"""Dashboard reports computed from the ledger: daily flows, outstanding liability, tiers,
top rules and campaign budgets."""
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from engine import reports
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.expiry import expire_lots
from engine.ledger.refunds import refund_receipt
from engine.rewards import CancelVoucher, RedeemReward, cancel_voucher, create_reward, redeem_reward
from engine.rules.customer_value import STAGES, score_customers
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.conftest import new_key


def test_each_day_shows_points_issued_redeemed_expired_and_adjusted(database, clock, make_member, earn,
                                                                      pay_with_points):
    ada = make_member(points=500)  # a correction in her favour: adjusted today
    clock.advance(days=1)
    earn(ada, 2000)  # 20 points at the base rate, pending
    pay_with_points(ada, 120)
    flows = reports.daily_flows(database, as_of=clock(), days=3)
    assert [(f.issued, f.redeemed, f.expired, f.adjusted) for f in flows] == [
        (0, 0, 0, 0), (0, 0, 0, 500), (20, 120, 0, 0)]
    assert [f.day for f in flows] == [clock().date() - timedelta(days=n) for n in (2, 1, 0)]


def test_a_months_days_add_up_to_its_row_of_the_liability_statement(database, clock, make_member, earn, till,
                                                                   pay_with_points):
    ada = make_member(points=1000)
    earn(ada, 30_000, receipt="R1")
    pay_with_points(ada, 200)
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R1", (RefundLine(1, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    create_reward(database, code="MUG", name="Mug", points_price=100, valid_from=clock(), now=clock())
    voucher = redeem_reward(database, RedeemReward("MUG", ada.public_id), caller="web", idempotency_key=new_key(),
                            now=clock())
    cancel_voucher(database, CancelVoucher(voucher.voucher_code), caller="web", idempotency_key=new_key(), now=clock())
    flows = reports.daily_flows(database, as_of=clock(), days=1)
    [month] = [s for s in reports.liability_statement(database, as_of=clock()) if s.month == clock().strftime("%Y-%m")]
    assert (sum(f.issued for f in flows), sum(f.redeemed for f in flows), sum(f.adjusted for f in flows)) == (
        month.issued, month.redeemed, month.adjusted) == (0, 200, 1000)


def test_expired_points_show_on_the_day_the_expiry_ran(database, clock, make_member, earn):
    ada = make_member()
    earn(ada, 10_000, occurred_at=clock() - timedelta(days=800))
    run = expire_lots(database, as_of=clock())
    assert run.points > 0
    assert reports.daily_flows(database, as_of=clock(), days=1)[0].expired == run.points


def test_movements_after_as_of_are_not_counted(database, clock, make_member):
    make_member(points=500)
    assert reports.daily_flows(database, as_of=clock() - timedelta(seconds=1), days=1)[0].adjusted == 0


def test_liability_splits_available_and_pending_points(database, clock, make_member, earn, pay_with_points):
    ada = make_member(points=500)
    earn(ada, 2500)
    pay_with_points(ada, 100)
    owed = reports.liability(database, as_of=clock())
    assert (owed.available, owed.pending, owed.total) == (400, 25, 425)
    later = reports.liability(database, as_of=clock() + timedelta(days=30))
    assert (later.available, later.pending) == (425, 0)


def test_tier_distribution_counts_members_per_tier_largest_first(database, clock, make_member):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)],
                 TierPolicy(), now=clock())
    members = [make_member() for _ in range(3)]
    assign_tier(database, members[0].public_id, "gold", reason="test", actor="tests", now=clock())
    distribution = dict(reports.tier_distribution(database))
    assert distribution["gold"] == 1
    assert sum(distribution.values()) == 3


def test_top_rules_rank_rules_by_points_given(database, clock, make_member, earn):
    ada = make_member()
    earn(ada, 2000)
    earn(ada, 3000)
    assert reports.top_rules(database, as_of=clock()) == [("base", 50)]
    assert reports.top_rules(database, as_of=clock() + timedelta(days=40)) == []


def test_the_dashboard_gathers_every_figure(database, clock, make_member, earn):
    earn(make_member(), 1000)
    board = reports.dashboard(database, as_of=clock(), days=7)
    assert len(board.flows) == 7 and board.flows[-1].issued == 10
    assert board.liability.pending == 10 and board.top_rules == [("base", 10)] and board.campaigns == []


def test_the_lifecycle_mix_counts_every_stage_as_the_nightly_job_left_it(database, clock, make_member, earn):
    assert reports.lifecycle_distribution(database) == [(stage, 0) for stage in STAGES]
    make_member()
    earn(make_member(), 1000)
    earn(make_member(), 1000, occurred_at=clock() - timedelta(days=200))
    score_customers(database, as_of=clock())
    assert dict(reports.lifecycle_distribution(database)) == {
        "new": 1, "lapsed": 1, "advocate": 0, "loyal": 0, "repeat": 0, "first_purchase": 1}
    assert [stage for stage, _ in reports.dashboard(database, as_of=clock()).lifecycle] == list(STAGES)


def rows(statement):
    return [(s.month, s.opening, s.issued, s.redeemed, s.expired, s.adjusted, s.closing) for s in statement]


def test_the_liability_statement_follows_the_points_owed_month_by_month(database, clock, make_member, earn,
                                                                        pay_with_points):
    # the clock starts on 2026-03-02: a month of history before it, this month, and an empty one
    ada = make_member()
    earn(ada, 2000, occurred_at=clock() - timedelta(days=30))  # posted now, whenever the sale was
    clock.advance(days=-10)  # (postings count by when they were posted)
    bo = make_member(points=300)  # 2026-02-20: an adjustment in February
    clock.advance(days=40)  # 2026-04-01
    pay_with_points(bo, 120)
    expire_lots(database, as_of=clock() + timedelta(days=1000))  # 2028-12-27: everything left expires
    early = reports.liability_statement(database, as_of=clock() + timedelta(days=5), months=3)
    assert rows(early) == [("2026-02", 0, 0, 0, 0, 300, 300), ("2026-03", 300, 20, 0, 0, 0, 320),
                           ("2026-04", 320, 0, 120, 0, 0, 200)]
    assert early[1].closing_value_minor == 320  # 100 points are worth 1.00 by default
    late = reports.liability_statement(database, as_of=clock() + timedelta(days=1000), months=3)
    assert rows(late) == [("2028-10", 200, 0, 0, 0, 0, 200), ("2028-11", 200, 0, 0, 0, 0, 200),
                          ("2028-12", 200, 0, 0, 200, 0, 0)]


def test_the_last_closing_is_what_the_members_balances_add_up_to(database, clock, make_member, earn, pay_with_points):
    members = [make_member(points=1000) for _ in range(3)]
    for member in members:
        earn(member, 2500)
    pay_with_points(members[0], 300)
    with database.transaction() as session:
        owed = session.scalar(sa.text("SELECT SUM(balance) FROM accounts WHERE kind = 'member'"))
    assert reports.liability_statement(database, as_of=clock(), months=1)[-1].closing == owed == 3000 + 75 - 300
