"""A request pinned to the snapshot its process kept, before knowing whether it is current.

A till's request checks its signature against the configuration the process kept, and its
first transaction confirms the revision (see engine/snapshot.py): a stale pin raises
ProgrammeMoved before anything is committed.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.ledger.earning import earn_points
from engine.ledger.idempotency import run_idempotent
from engine.orm.ledger import IdempotencyKeyRow, ReceiptRow
from engine.settings import update_settings
from engine.snapshot import (ProgrammeMoved, confirm_pin, current_programme, kept_programme, pinned, pinned_programme,
                             programme)


@pytest.fixture
def kept(database):
    """The snapshot the process keeps, read now."""
    current_programme(database)
    return kept_programme(database)


def moved_elsewhere(database, clock) -> None:
    """A configuration change committed by another process: this one's kept snapshot is stale."""
    update_settings(database, {"pending_days": 3}, now=clock())


def key_rows(database) -> int:
    with database.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKeyRow))


def test_the_process_keeps_the_snapshot_it_read_last(database, kept):
    assert kept is current_programme(database)


def test_an_unchecked_pin_of_the_current_snapshot_is_checked_by_the_first_configuration_read(database, kept):
    with pinned(database, kept, checked=False) as pin:
        with database.transaction() as session:
            assert programme(session) is kept
        assert pin.checked


def test_an_unchecked_pin_of_a_stale_snapshot_refuses_the_first_configuration_read(database, kept, clock):
    moved_elsewhere(database, clock)
    with pinned(database, kept, checked=False) as pin:
        with pytest.raises(ProgrammeMoved), database.transaction() as session:
            programme(session)
        assert not pin.checked


def test_a_transaction_under_a_stale_pin_commits_nothing_even_without_reading_the_configuration(
        database, kept, clock):
    moved_elsewhere(database, clock)
    with pinned(database, kept, checked=False):
        with pytest.raises(ProgrammeMoved), database.transaction() as session:
            session.add(IdempotencyKeyRow(caller="till", key="k1", command="earn", request_hash="h", outcome="ok",
                                          response="{}", created_at=clock()))
    assert key_rows(database) == 0


def test_an_idempotent_command_under_a_stale_pin_does_no_work_and_stores_no_answer(database, kept, clock):
    moved_elsewhere(database, clock)
    ran = []
    with pinned(database, kept, checked=False), pytest.raises(ProgrammeMoved):
        run_idempotent(database, caller="till", key="k1", command="noop", request={}, now=clock(),
                       work=ran.append, result_type=dict)
    assert (ran, key_rows(database)) == ([], 0)


def test_a_stale_pin_taken_without_reading_the_revision_still_commits_nothing(database, kept, clock):
    # (what an accrual's first read does: it makes its statement from the pinned snapshot and
    # compares the revision in that statement)
    moved_elsewhere(database, clock)
    with pinned(database, kept, checked=False) as pin:
        with pytest.raises(ProgrammeMoved), database.transaction() as session:
            assert pinned_programme(session) is kept and programme(session) is kept
            session.add(IdempotencyKeyRow(caller="till", key="k1", command="earn", request_hash="h", outcome="ok",
                                          response="{}", created_at=clock()))
        assert not pin.checked
    assert key_rows(database) == 0


def test_an_accrual_by_card_under_a_stale_pin_earns_nothing_and_stores_no_answer(database, till, kept, clock,
                                                                                  make_card, make_basket):
    card = make_card()
    moved_elsewhere(database, clock)
    with pinned(database, kept, checked=False), pytest.raises(ProgrammeMoved):
        earn_points(database, make_basket(None, 2000, card_number=card.number), caller="till", idempotency_key="k1",
                    now=clock())
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == 0
    assert key_rows(database) == 0


def test_confirming_a_pin_passes_when_current_and_raises_when_stale(database, kept, clock):
    with pinned(database, kept, checked=False) as pin:
        confirm_pin(database, pin)
        assert pin.checked
    moved_elsewhere(database, clock)
    with pinned(database, kept, checked=False) as pin, pytest.raises(ProgrammeMoved):
        confirm_pin(database, pin)
