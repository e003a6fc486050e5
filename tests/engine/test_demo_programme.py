from engine import cards, members, stores
from engine.demo import DEMO_SETTINGS, load_demo
from engine.errors import InvalidState
from engine.settings import get_settings
from tests.support.assertions import refused_unchanged


def test_the_demo_loads_settings_stores_terminals_members_and_cards(database, clock):
    summary = load_demo(database, now=clock())
    assert get_settings(database) == DEMO_SETTINGS
    assert len(stores.list_stores(database)) == summary.stores == 3
    assert len(stores.list_terminals(database)) == summary.terminals
    assert len(members.list_members(database)) == summary.members
    statuses = {c.number: c.status for c in cards.list_cards(database)}
    assert sorted(statuses.values()) == ["active", "active", "active", "blocked", "issued"]
    assert set(statuses) == set(summary.cards)


def test_the_demo_is_not_loaded_into_a_database_that_holds_a_programme(database, clock, make_store):
    make_store()
    with refused_unchanged(database, InvalidState, "not_empty"):
        load_demo(database, now=clock())
