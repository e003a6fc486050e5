from datetime import timedelta

from engine import cards, members, reports, stores
from engine.demo import DEMO_SETTINGS, load_demo
from engine.errors import InvalidState
from engine.ledger.balances import get_balance, get_history
from engine.ledger.invariants import check_ledger
from engine.settings import get_settings
from tests.support.assertions import refused_unchanged


def test_the_demo_loads_settings_stores_terminals_members_and_cards(database, clock):
    summary = load_demo(database, now=clock())
    assert get_settings(database) == DEMO_SETTINGS
    assert len(stores.list_stores(database)) == summary.stores == 4
    assert stores.get_store(database, "WEB").channel == "online"  # the web shop: orders by member id
    assert len(stores.list_terminals(database)) == summary.terminals
    assert len(members.list_members(database)) == summary.members
    statuses = {c.number: c.status for c in cards.list_cards(database)}
    assert sorted(statuses.values()) == ["active", "active", "active", "blocked", "issued"]
    assert set(statuses) == set(summary.cards)


def demo_members(database) -> dict[str, str]:
    return {m.full_name.split()[0]: m.public_id for m in members.list_members(database)}


def test_the_demo_has_a_history_of_purchases_a_payment_with_points_a_refund_and_an_adjustment(database, clock):
    summary = load_demo(database, now=clock())
    assert (summary.receipts, summary.postings) == (7, 10)
    ids = demo_members(database)
    history = {name: [(item.kind, item.points) for item in get_history(database, member_id)]
               for name, member_id in ids.items()}
    assert history == {
        "Ada": [("earn", 56), ("earn", 38)],
        "Grace": [("refund", 33), ("earn", 38), ("capture", -120), ("earn", 144)],
        "Alan": [("earn", 18), ("adjust", 25), ("earn", 32)],
        "Katherine": [("earn", 89)],
        "Edsger": [],
    }
    (adjustment,) = [item for item in get_history(database, ids["Alan"]) if item.kind == "adjust"]
    assert adjustment.actor == "demo" and adjustment.description.startswith("goodwill")
    postings = [item for member_id in ids.values() for item in get_history(database, member_id)]
    assert all(clock() - timedelta(days=201) < item.occurred_at < clock() for item in postings)
    assert check_ledger(database) == []


def test_some_demo_points_are_available_and_some_still_pending(database, clock):
    load_demo(database, now=clock())
    ids = demo_members(database)
    balances = {name: get_balance(database, member_id, as_of=clock()) for name, member_id in ids.items()}
    assert {name: (b.balance, b.available, b.pending, b.reserved) for name, b in balances.items()} == {
        "Ada": (94, 38, 56, 0),
        "Grace": (95, 95, 0, 0),
        "Alan": (75, 57, 18, 0),
        "Katherine": (89, 89, 0, 0),
        "Edsger": (0, 0, 0, 0),
    }


def test_the_demo_tills_name_their_cashiers_and_alan_rang_up_his_own_purchase(database, clock):
    load_demo(database, now=clock())
    checked = reports.cashier_cards(database, as_of=clock(), days=7)
    assert [(c.cashier, c.member_id, c.sales, c.own_card) for c in checked] == [
        ("0301", demo_members(database)["Alan"], 1, True)]


def test_the_demo_is_not_loaded_into_a_database_that_holds_a_programme(database, clock, make_store):
    make_store()
    with refused_unchanged(database, InvalidState, "not_empty"):
        load_demo(database, now=clock())
