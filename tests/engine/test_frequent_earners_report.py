"""The auditor's report of members earning on many sales at one till on one day: who
reaches the threshold exactly is listed, who stays below is not, older days and other
tills count apart."""
from dataclasses import replace
from datetime import timedelta

from engine import reports, stores
from engine.ledger.earning import earn_points
from tests.conftest import new_key


def test_a_member_earning_at_one_till_at_least_the_threshold_times_in_a_day_is_listed(database, clock, make_member,
                                                                                       earn):
    cashier, customer = make_member(), make_member()
    for _ in range(5):
        earn(cashier, 1000)
    for _ in range(4):
        earn(customer, 2000)
    listed = reports.frequent_earners(database, as_of=clock(), days=1, min_sales=5)
    assert [(e.member_id, e.terminal_code, e.store_code, e.day, e.sales, e.points) for e in listed] == \
        [(cashier.public_id, "S1-T1", "S1", clock().date(), 5, 50)]


def test_sales_count_per_till_and_per_day_and_only_within_the_window(database, clock, make_member, earn, make_basket):
    stores.create_terminal(database, code="S1-T2", store_code="S1", now=clock())
    member = make_member()
    for _ in range(3):
        earn(member, 1000)
    for _ in range(3):
        earn(member, 1000, occurred_at=clock() - timedelta(days=1))
    for _ in range(3):
        earn(member, 1000, occurred_at=clock() - timedelta(days=9))
    basket = make_basket(member, 1000)
    earn_points(database, replace(basket, terminal_code="S1-T2"), caller="S1-T2", idempotency_key=new_key(),
                now=clock())
    listed = reports.frequent_earners(database, as_of=clock(), days=7, min_sales=3)
    assert [(e.terminal_code, e.day, e.sales) for e in listed] == [
        ("S1-T1", clock().date() - timedelta(days=1), 3), ("S1-T1", clock().date(), 3)]


def test_the_list_is_most_sales_first_and_cut_at_the_limit(database, clock, make_member, earn):
    busy, busier = make_member(), make_member()
    for _ in range(2):
        earn(busy, 1000)
    for _ in range(3):
        earn(busier, 1000)
    listed = reports.frequent_earners(database, as_of=clock(), min_sales=2)
    assert [(e.member_id, e.sales) for e in listed] == [(busier.public_id, 3), (busy.public_id, 2)]
    assert [e.member_id for e in reports.frequent_earners(database, as_of=clock(), min_sales=2, limit=1)] == \
        [busier.public_id]
