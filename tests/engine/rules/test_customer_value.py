"""Customer value as member attributes: the SQL job gives every buying member the RFM
quintiles and the ABC value class, and every open member the lifecycle stage, that the plain
policy gives; forgets the scores of those who stopped buying, leaves closed accounts alone,
and rules and segments read the attributes."""
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from engine.orm.ledger import ReceiptRow, RefundRow
from engine.orm.members import MemberRow
from engine.orm.rules import ReferralRow
from engine.member_closure import CloseMember, close_member
from engine.rules.customer_value import (ATTRIBUTES, STAGES, History, Purchases, customer_scores, lifecycle_stage, quintiles,
                                         score_customers)
from engine.rules.referrals import record_referral
from engine.rules.segments import create_segment, list_segments, member_attributes
from engine.settings import update_settings
from tests.conftest import new_key

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def bring_back(database, clock, till):
    """``bring_back(earned, quantity)``: return ``quantity`` of the first line of the receipt."""
    def run(earned, quantity: int):
        command = RefundReceipt(till.store_code, till.code, earned.receipt_number,
                                (RefundLine(1, Decimal(quantity)),), clock())
        return refund_receipt(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())
    return run


def buy_and_maybe_bring_back(pick, earn, bring_back, member, amount, **basket):
    """A purchase of two units; one in four brought back in part, one in eight in full."""
    earned = earn(member, amount, quantities=[2], **basket)
    returned = pick.choice([0, 0, 0, 0, 0, 1, 1, 2])
    if returned:
        bring_back(earned, returned)


def purchases_up_to(session, as_of: datetime) -> list[tuple[int, datetime, int]]:
    """(member, sale time, spend) of each purchase up to ``as_of``, read the plain way: every
    receipt less what was refunded of it by then, those refunded in full left out."""
    refunded = defaultdict(int)
    for receipt_id, amount, at in session.execute(sa.select(RefundRow.receipt_id, RefundRow.amount_minor,
                                                            RefundRow.occurred_at)):
        if at <= as_of:
            refunded[receipt_id] += amount
    return [(member_id, at, total - refunded[receipt_id])
            for receipt_id, member_id, at, total in session.execute(
                sa.select(ReceiptRow.id, ReceiptRow.member_id, ReceiptRow.occurred_at, ReceiptRow.total_minor))
            if at <= as_of and (receipt_id not in refunded or refunded[receipt_id] < total)]


def test_quintiles_cut_like_ntile_with_the_first_groups_one_larger():
    assert quintiles(list(range(7))) == {0: 1, 1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 5}
    assert quintiles([10, 11]) == {10: 1, 11: 2}
    assert quintiles([]) == {}


def test_the_abc_classes_follow_the_share_of_spend_ranked_before():
    at = datetime(2026, 1, 1)
    buying = [Purchases(1, at, 1, 500), Purchases(2, at, 1, 300), Purchases(3, at, 1, 150), Purchases(4, at, 1, 40),
              Purchases(5, at, 1, 10)]
    # before each: 0, 500 (50 %), 800 (80 %), 950 (95 %), 990
    assert [customer_scores(buying)[m]["value_class"] for m in range(1, 6)] == ["A", "B", "C", "D", "D"]


def test_the_sql_job_agrees_with_the_policy(database, clock, make_member, earn, bring_back):
    pick = random.Random(1205)
    members = [make_member() for _ in range(23)]
    for member in members:
        for _ in range(pick.randint(0, 4)):
            buy_and_maybe_bring_back(pick, earn, bring_back, member, pick.choice([500, 1200, 2500, 9900]),
                                     occurred_at=clock() - timedelta(days=pick.randint(0, 500)))
    score_customers(database, as_of=clock())
    bought = defaultdict(list)
    with database.transaction() as session:
        for member_id, at, spend in purchases_up_to(session, clock()):
            if at > clock() - timedelta(days=365):
                bought[member_id].append((at, spend))
        ids = dict(session.execute(sa.text("SELECT id, public_id FROM members")).all())
    expected = customer_scores([Purchases(m, max(at for at, _ in sales), len(sales), sum(s for _, s in sales))
                                for m, sales in bought.items()])
    for member_id, public_id in ids.items():
        scores = {name: value for name, value in member_attributes(database, public_id).items() if name in ATTRIBUTES}
        assert scores == expected.get(member_id, {}), public_id


def test_a_purchase_brought_back_in_full_is_no_purchase_and_one_in_part_counts_what_was_kept(
        database, clock, make_member, earn, bring_back):
    returned, halved, kept = make_member(), make_member(), make_member()
    yesterday = clock() - timedelta(days=1)
    bring_back(earn(returned, 90_000, quantities=[2], occurred_at=yesterday), 2)
    bring_back(earn(halved, 90_000, quantities=[2], occurred_at=yesterday), 1)  # 45,000 kept
    earn(kept, 50_000, occurred_at=yesterday)
    score_customers(database, as_of=clock() - timedelta(hours=1))  # before the refunds: all three bought
    assert member_attributes(database, returned.public_id)["lifecycle_stage"] == "first_purchase"
    summary = score_customers(database, as_of=clock())
    assert member_attributes(database, returned.public_id) == {"lifecycle_stage": "new"}
    assert member_attributes(database, kept.public_id)["value_class"] == "A"  # 50,000 of 95,000
    assert member_attributes(database, halved.public_id)["value_class"] == "B"
    assert (summary["members"], summary["stage_new"], summary["stage_first_purchase"]) == (2, 1, 2)


def test_a_member_who_stopped_buying_loses_the_scores_is_lapsed_and_a_second_run_changes_nothing(database, clock, make_member,
                                                                                       earn):
    lapsed, regular = make_member(), make_member()
    earn(lapsed, 1000, occurred_at=clock() - timedelta(days=300))
    earn(regular, 1000)
    score_customers(database, as_of=clock())
    assert member_attributes(database, lapsed.public_id)["value_class"] in "AB"
    later = clock() + timedelta(days=100)
    score_customers(database, as_of=later)
    first = member_attributes(database, regular.public_id)
    assert member_attributes(database, lapsed.public_id) == {"lifecycle_stage": "lapsed"}
    assert score_customers(database, as_of=later) == {
        "members": 1, "class_A": 1, "class_B": 0, "class_C": 0, "class_D": 0,
        "stage_new": 0, "stage_lapsed": 1, "stage_advocate": 0, "stage_loyal": 0, "stage_repeat": 0,
        "stage_first_purchase": 1}
    assert member_attributes(database, regular.public_id) == first


def test_a_predicate_segment_of_the_best_customers_holds_the_a_class(database, clock, make_member, earn):
    big, small = make_member(), make_member()
    earn(big, 90_000)
    earn(small, 1_000)
    score_customers(database, as_of=clock())
    create_segment(database, code="best", predicate={"attributes": {"value_class": ["A"]}}, now=clock())
    assert [(s.code, s.members) for s in list_segments(database)] == [("best", 1)]


def stage(purchases=0, days_ago=None, in_year=0, advocate=False, *, lapsed_after_days=180, loyal_purchases=6) -> str:
    last_at = None if days_ago is None else NOW - timedelta(days=days_ago)
    return lifecycle_stage(History(purchases, last_at, in_year, advocate), as_of=NOW,
                           lapsed_after_days=lapsed_after_days, loyal_purchases=loyal_purchases)


def test_the_lifecycle_stage_is_the_first_that_holds_in_its_documented_order():
    assert stage() == "new"
    assert stage(1, days_ago=3, in_year=1) == "first_purchase"
    assert stage(2, days_ago=3, in_year=1) == "repeat"
    assert stage(9, days_ago=3, in_year=6) == "loyal"
    assert stage(9, days_ago=3, in_year=5) == "repeat"
    assert stage(1, days_ago=3, in_year=1, advocate=True) == "advocate"
    assert stage(9, days_ago=180, in_year=9, advocate=True) == "lapsed"
    assert stage(9, days_ago=179, in_year=9, loyal_purchases=10) == "repeat"
    assert stage(1, days_ago=40, in_year=1, lapsed_after_days=30) == "lapsed"


def test_the_sql_job_gives_every_open_member_the_stage_the_policy_gives(database, clock, make_member, earn, bring_back):
    pick = random.Random(1206)
    members = [make_member() for _ in range(30)]
    for member in members:
        for _ in range(pick.choice([0, 1, 2, 3, 7])):
            buy_and_maybe_bring_back(pick, earn, bring_back, member, 1000,
                                     occurred_at=clock() - timedelta(days=pick.choice([1, 100, 179, 180, 181, 300, 400])))
    for referrer in pick.sample(members, 4):
        referred = make_member()
        record_referral(database, referrer_id=referrer.public_id, referred_id=referred.public_id, now=clock())
        earn(referred, 1000)  # the qualifying first purchase
    update_settings(database, {"loyal_purchases_per_year": 4}, now=clock())
    score_customers(database, as_of=clock())
    since, sales = clock() - timedelta(days=365), defaultdict(list)
    with database.transaction() as session:
        for member_id, at, _ in purchases_up_to(session, clock()):
            sales[member_id].append(at)
        bought = {m: (len(ats), max(ats), sum(at > since for at in ats)) for m, ats in sales.items()}
        advocates = set(session.scalars(sa.select(ReferralRow.referrer_id).where(ReferralRow.rewarded_at.is_not(None))))
        ids = dict(session.execute(sa.select(MemberRow.id, MemberRow.public_id)).all())
    stages = set()
    for member_id, public_id in ids.items():
        purchases, last_at, in_year = bought.get(member_id, (0, None, 0))
        expected = lifecycle_stage(History(purchases, last_at, in_year, member_id in advocates), as_of=clock(),
                                   lapsed_after_days=180, loyal_purchases=4)
        assert member_attributes(database, public_id)["lifecycle_stage"] == expected, public_id
        stages.add(expected)
    assert stages == set(STAGES)  # the random history reached every stage


def test_a_closed_account_gets_no_scores_and_no_stage_back(database, clock, make_member, earn):
    member = make_member()
    earn(member, 1000)
    score_customers(database, as_of=clock())
    assert member_attributes(database, member.public_id)["lifecycle_stage"] == "first_purchase"
    close_member(database, CloseMember(member.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    summary = score_customers(database, as_of=clock())
    assert member_attributes(database, member.public_id) == {}
    assert summary["members"] == 0 and summary["stage_first_purchase"] == 0


def test_a_win_back_segment_holds_the_members_who_stopped_buying(database, clock, make_member, earn):
    gone, here, never = make_member(), make_member(), make_member()
    earn(gone, 1000, occurred_at=clock() - timedelta(days=200))
    earn(here, 1000)
    score_customers(database, as_of=clock())
    create_segment(database, code="win-back", predicate={"attributes": {"lifecycle_stage": ["lapsed"]}}, now=clock())
    assert [(s.code, s.members) for s in list_segments(database)] == [("win-back", 1)]
    assert member_attributes(database, never.public_id) == {"lifecycle_stage": "new"}
