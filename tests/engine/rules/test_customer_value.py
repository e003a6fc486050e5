"""Customer value as member attributes: the SQL job gives every buying member the RFM
quintiles and the ABC value class, and every open member the lifecycle stage, that the plain
policy gives; forgets the scores of those who stopped buying, leaves closed accounts alone,
and rules and segments read the attributes."""
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from engine.orm.ledger import ReceiptRow
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


def test_the_sql_job_agrees_with_the_policy(database, clock, make_member, earn):
    pick = random.Random(1205)
    members = [make_member() for _ in range(23)]
    for member in members:
        for _ in range(pick.randint(0, 4)):
            earn(member, pick.choice([500, 1200, 2500, 9900]), occurred_at=clock() - timedelta(days=pick.randint(0, 500)))
    score_customers(database, as_of=clock())
    with database.transaction() as session:
        r = ReceiptRow
        rows = session.execute(sa.select(r.member_id, sa.func.max(r.occurred_at), sa.func.count(),
                                         sa.func.sum(r.total_minor))
                               .where(r.occurred_at > clock() - timedelta(days=365), r.occurred_at <= clock())
                               .group_by(r.member_id)).all()
        ids = dict(session.execute(sa.text("SELECT id, public_id FROM members")).all())
    expected = customer_scores([Purchases(m, last, n, spend) for m, last, n, spend in rows])
    for member_id, public_id in ids.items():
        scores = {name: value for name, value in member_attributes(database, public_id).items() if name in ATTRIBUTES}
        assert scores == expected.get(member_id, {}), public_id


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


def test_the_sql_job_gives_every_open_member_the_stage_the_policy_gives(database, clock, make_member, earn):
    pick = random.Random(1206)
    members = [make_member() for _ in range(30)]
    for member in members:
        for _ in range(pick.choice([0, 1, 2, 3, 7])):
            earn(member, 1000, occurred_at=clock() - timedelta(days=pick.choice([1, 100, 179, 180, 181, 300, 400])))
    for referrer in pick.sample(members, 4):
        referred = make_member()
        record_referral(database, referrer_id=referrer.public_id, referred_id=referred.public_id,
                        referrer_points=100, referred_points=100, now=clock())
        earn(referred, 1000)  # the qualifying first purchase
    update_settings(database, {"loyal_purchases_per_year": 4}, now=clock())
    score_customers(database, as_of=clock())
    r, since = ReceiptRow, clock() - timedelta(days=365)
    with database.transaction() as session:
        bought = {m: (n, last, in_year) for m, n, last, in_year in session.execute(
            sa.select(r.member_id, sa.func.count(), sa.func.max(r.occurred_at),
                      sa.func.count(sa.case((r.occurred_at > since, 1)))).group_by(r.member_id))}
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
