"""The reader layer against a real pcscd with the vpcd reader and the virtual card."""
import threading
import time

import pytest

from terminal import card_protocol as cp
from terminal import reader as reader_module
from terminal.card_crypto import card_answer
from terminal.errors import (
    ApplicationBlocked, CardCommunicationError, CardRemoved, CardWaitTimeout, ForeignCard, PcscUnavailable, ReaderError,
    ReaderGone, ReaderNotFound,
)
from terminal.reader import Reader, list_readers, pick_reader

KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")


def test_both_virtual_readers_are_listed_by_name(running_lab):
    assert set(running_lab.readers) <= set(list_readers())


def test_a_tapped_card_is_read_and_answers_the_challenge(reader, make_card):
    make_card(card_key=KEY).tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link:
        card = cp.identify(link.atr, link.transmit)
        answer = cp.authenticate(link.transmit, bytes(16))
    assert card.identity == cp.CardIdentity("6280001234567890", 1)
    assert answer == card_answer(KEY, bytes(16))


def test_a_card_torn_away_mid_exchange_is_reported_as_removed(reader, make_card):
    make_card(card_key=KEY, drop_after=2).tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link, pytest.raises(CardRemoved, match="taken away"):
        cp.identify(link.atr, link.transmit)


def test_the_reader_sees_the_card_leave(reader, make_card):
    card = make_card(card_key=KEY).tap()
    reader.wait_for_card(timeout=5)
    card.remove()
    reader.wait_for_removal(timeout=5)


def test_a_blocked_card_is_refused(reader, make_card):
    make_card(card_key=KEY, blocked=True).tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link, pytest.raises(ApplicationBlocked):
        cp.identify(link.atr, link.transmit)


def test_a_foreign_card_is_named_and_the_reader_stays_ready(reader, make_card):
    foreign = make_card("foreign").tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link, pytest.raises(ForeignCard, match="foreign card"):
        cp.identify(link.atr, link.transmit)
    foreign.remove()
    reader.wait_for_removal(timeout=5)
    make_card(card_key=KEY).tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link:
        assert cp.identify(link.atr, link.transmit).kind is cp.CardKind.OURS


def test_a_uid_only_card_gives_its_uid(reader, make_card):
    make_card("uid", uid="04A1B2C3D4E5F6").tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link:
        card = cp.identify(link.atr, link.transmit)
    assert (card.kind, card.uid) == (cp.CardKind.UID_ONLY, "04A1B2C3D4E5F6")


def test_two_readers_serve_two_cards_at_the_same_time(running_lab, make_card):
    keys = [bytes([slot + 1]) * 16 for slot in (0, 1)]
    numbers = ["6280000000000001", "6280000000000002"]
    for slot in (0, 1):
        make_card(slot=slot, card_key=keys[slot], card_number=numbers[slot]).tap()
    results, errors = {}, []

    def run(slot):
        try:
            reader = Reader(running_lab.readers[slot])
            reader.wait_for_card(timeout=5)
            with reader.connect() as link:
                for _ in range(50):
                    card = cp.identify(link.atr, link.transmit)
                    answer = cp.authenticate(link.transmit, bytes(16))
                results[slot] = (card.identity.card_number, answer)
            reader.close()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results == {slot: (numbers[slot], card_answer(keys[slot], bytes(16))) for slot in (0, 1)}


def test_the_card_is_held_exclusively_during_an_exchange(reader, running_lab, make_card):
    make_card(card_key=KEY).tap()
    reader.wait_for_card(timeout=5)
    other = Reader(running_lab.readers[0])
    with reader.connect():
        with pytest.raises(ReaderError, match="Another program"):
            other.connect()
    other.close()


def test_waiting_for_a_card_that_never_comes_times_out(reader):
    with pytest.raises(CardWaitTimeout, match="No card was tapped"):
        reader.wait_for_card(timeout=0.5)


def test_a_reader_name_that_is_not_connected_is_reported_with_the_connected_ones(running_lab):
    with pytest.raises(ReaderNotFound, match="Virtual PCD 00 00"):
        Reader("Contactless Reader 9")
    assert pick_reader("00 01", list(running_lab.readers)) == "Virtual PCD 00 01"


def test_an_unplugged_reader_is_reported_as_gone(running_lab):
    # vpcd cannot be unplugged: a reader bound to a name pcscd no longer lists is the same
    # situation for the PC/SC calls the till makes.
    gone = Reader("Virtual PCD 07 00", resolve=False)
    with pytest.raises(ReaderGone, match="unplugged"):
        gone.wait_for_card(timeout=1)
    gone.close()


def test_pcscd_stopped_mid_shift_gives_a_clear_error_and_recovers(reader, running_lab, make_card):
    card = make_card(card_key=KEY).tap()
    reader.wait_for_card(timeout=5)
    running_lab.stop()
    with pytest.raises(PcscUnavailable, match="pcscd"):
        reader.wait_for_card(timeout=1)
    with pytest.raises(PcscUnavailable):
        list_readers()
    card.remove()  # pcscd took the virtual reader with it: the card must be tapped again
    running_lab.start()
    card.tap()
    reader.wait_for_card(timeout=5)
    with reader.connect() as link:
        assert cp.identify(link.atr, link.transmit).kind is cp.CardKind.OURS


def test_pcscd_dying_while_the_till_waits_for_a_tap_is_reported_as_pcscd_gone(reader, running_lab):
    errors = []

    def wait():
        try:
            reader.wait_for_card(timeout=10)
        except Exception as error:  # checked below
            errors.append(error)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    running_lab.stop()
    waiter.join(timeout=15)
    assert [type(error) for error in errors] == [PcscUnavailable]
    running_lab.start()
    with pytest.raises(CardWaitTimeout):
        reader.wait_for_card(timeout=0.3)


def test_a_failed_watch_is_pcscd_gone_when_pcscd_stops_whatever_code_the_wait_ended_with(reader, running_lab,
                                                                                         monkeypatch):
    # pcscd shutting down may end a client's wait with a code of its own before it stops answering
    reader.state()
    running_lab.stop()
    monkeypatch.setattr(reader_module.scard, "SCardGetStatusChange",
                        lambda *_: (reader_module.scard.SCARD_E_SYSTEM_CANCELLED, []))
    with pytest.raises(PcscUnavailable):
        reader.state(timeout_ms=100)
    monkeypatch.undo()
    running_lab.start()
    with pytest.raises(CardWaitTimeout):
        reader.wait_for_card(timeout=0.3)


def test_a_failed_watch_while_pcscd_keeps_answering_is_a_communication_error(reader, monkeypatch):
    monkeypatch.setattr(reader_module.scard, "SCardGetStatusChange",
                        lambda *_: (reader_module.scard.SCARD_E_INVALID_VALUE, []))
    with pytest.raises(CardCommunicationError, match="watching the reader"):
        reader.state(timeout_ms=100)


def test_pcscd_dying_mid_exchange_is_not_mistaken_for_a_torn_card(reader, running_lab, make_card):
    card = make_card(card_key=KEY, delay_ms=300).tap()
    reader.wait_for_card(timeout=5)
    link = reader.connect()
    stopper = threading.Timer(0.1, running_lab.stop)
    stopper.start()
    with pytest.raises(PcscUnavailable):
        for _ in range(20):
            cp.select(link.transmit)
    stopper.join()
    link.close()
    card.remove()
