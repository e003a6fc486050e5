from engine import stores
from engine.errors import Conflict, InvalidInput, NotFound
from tests.support.assertions import refused_unchanged


def test_a_terminal_belongs_to_its_store(database, clock, make_store):
    make_store("BER-01")
    terminal = stores.create_terminal(database, code="BER-01-T1", store_code="BER-01", now=clock())
    assert terminal == stores.Terminal(code="BER-01-T1", store_code="BER-01", name="BER-01-T1",
                                       status="active")


def test_terminals_can_be_listed_for_one_store(database, make_store, make_terminal):
    berlin, hamburg = make_store("BER"), make_store("HAM")
    make_terminal("BER-T1", store=berlin)
    make_terminal("HAM-T1", store=hamburg)
    make_terminal("BER-T2", store=berlin)
    assert [t.code for t in stores.list_terminals(database, store_code="BER")] == ["BER-T1", "BER-T2"]
    assert len(stores.list_terminals(database)) == 3


def test_a_terminal_in_an_unknown_store_is_refused(database, clock):
    with refused_unchanged(database, NotFound, "unknown_store"):
        stores.create_terminal(database, code="T1", store_code="NOWHERE", now=clock())


def test_a_terminal_code_can_be_used_once_across_stores(database, clock, make_store, make_terminal):
    make_terminal("T1", store=make_store("A"))
    make_store("B")
    with refused_unchanged(database, Conflict, "duplicate_terminal"):
        stores.create_terminal(database, code="T1", store_code="B", now=clock())


def test_a_terminal_with_an_invalid_code_is_refused(database, clock, make_store):
    make_store("A")
    with refused_unchanged(database, InvalidInput):
        stores.create_terminal(database, code="till #1", store_code="A", now=clock())


def test_listing_the_terminals_of_an_unknown_store_is_refused(database):
    with refused_unchanged(database, NotFound, "unknown_store"):
        stores.list_terminals(database, store_code="NOWHERE")
