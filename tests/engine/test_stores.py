import pytest

from engine import stores
from engine.access.terminal_keys import issue_terminal_key
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.ledger.earning import earn_points
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


def test_a_created_store_is_listed_with_its_time_zone_and_group(database, clock):
    stores.create_store(database, code="BER-01", name="Berlin Mitte", timezone="Europe/Berlin",
                        group="CITY", now=clock())
    assert stores.list_stores(database) == [
        stores.Store(code="BER-01", name="Berlin Mitte", timezone="Europe/Berlin", group="CITY")]


def test_stores_are_listed_by_code(database, make_store):
    for code in ("C", "A", "B"):
        make_store(code)
    assert [s.code for s in stores.list_stores(database)] == ["A", "B", "C"]


def test_a_store_code_can_be_used_once(database, clock, make_store):
    make_store("BER-01")
    with refused_unchanged(database, Conflict, "duplicate_store"):
        stores.create_store(database, code="BER-01", name="Another", timezone="UTC", now=clock())


@pytest.mark.parametrize("field, values", [
    ("code", {"code": "ber 01"}),
    ("code", {"code": ""}),
    ("name", {"name": "  "}),
    ("timezone", {"timezone": "Europe/Atlantis"}),
    ("group", {"group": "city centre"}),
    ("channel", {"channel": "fax"}),
])
def test_a_store_with_an_invalid_field_is_refused(database, clock, field, values):
    fields = {"code": "S1", "name": "Store", "timezone": "UTC", **values}
    with refused_unchanged(database, InvalidInput) as refusal:
        stores.create_store(database, now=clock(), **fields)
    assert [p.field for p in refusal.value.problems] == [field]


def test_an_unknown_store_is_named_in_the_refusal(database):
    with pytest.raises(NotFound, match="NOPE") as refusal:
        stores.get_store(database, "NOPE")
    assert refusal.value.code == "unknown_store"


def test_a_web_shop_is_an_online_store(database, clock):
    stores.create_store(database, code="WEB", name="Web shop", timezone="Europe/Berlin", channel="online", now=clock())
    assert stores.get_store(database, "WEB").channel == "online"


def test_a_retired_terminal_sells_nothing_and_gets_no_new_key(database, clock, make_member, make_basket, till):
    basket = make_basket(make_member(), 1000)
    assert stores.retire_terminal(database, "S1-T1").status == "retired"
    assert stores.retire_terminal(database, "S1-T1").status == "retired"  # twice: the same
    with refused_unchanged(database, InvalidState, "terminal_retired"):
        issue_terminal_key(database, "S1-T1", now=clock())
    with refused_unchanged(database, InvalidState, "terminal_retired"):
        earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
