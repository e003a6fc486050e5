"""Customer value as member attributes: the SQL job gives every buying member the RFM
quintiles and the ABC value class that the plain policy gives, forgets those who stopped
buying, and rules and segments read the attributes."""
import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.orm.ledger import ReceiptRow
from engine.rules.customer_value import Purchases, customer_scores, quintiles, score_customers
from engine.rules.segments import create_segment, list_segments, member_attributes


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
        assert member_attributes(database, public_id) == expected.get(member_id, {}), public_id


def test_a_member_who_stopped_buying_loses_the_scores_and_a_second_run_changes_nothing(database, clock, make_member,
                                                                                       earn):
    lapsed, regular = make_member(), make_member()
    earn(lapsed, 1000, occurred_at=clock() - timedelta(days=300))
    earn(regular, 1000)
    score_customers(database, as_of=clock())
    assert member_attributes(database, lapsed.public_id)["value_class"] in "AB"
    later = clock() + timedelta(days=100)
    score_customers(database, as_of=later)
    first = member_attributes(database, regular.public_id)
    assert member_attributes(database, lapsed.public_id) == {}
    assert score_customers(database, as_of=later) == {"members": 1, "class_A": 1, "class_B": 0, "class_C": 0,
                                                      "class_D": 0}
    assert member_attributes(database, regular.public_id) == first


def test_a_predicate_segment_of_the_best_customers_holds_the_a_class(database, clock, make_member, earn):
    big, small = make_member(), make_member()
    earn(big, 90_000)
    earn(small, 1_000)
    score_customers(database, as_of=clock())
    create_segment(database, code="best", predicate={"attributes": {"value_class": ["A"]}}, now=clock())
    assert [(s.code, s.members) for s in list_segments(database)] == [("best", 1)]
