"""The programme snapshot: configuration read once per change, and never stale after a change."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import stores
from engine.access.terminal_keys import issue_terminal_key, revoke_terminal_key, signing_key
from engine.errors import NotAuthenticated
from engine.orm.programme import ProgrammeRevisionRow
from engine.settings import get_settings, read_settings, save_settings, update_settings
from engine.snapshot import WATCHED_INSERT_DELETE, WATCHED_TABLES, programme


def revision(database) -> int:
    with database.transaction() as session:
        return session.scalar(sa.select(ProgrammeRevisionRow.revision))


def test_a_transaction_reads_the_revision_once_and_reuses_the_snapshot_kept_by_the_process(database):
    with database.transaction() as session:
        first = programme(session)
        assert programme(session) is first
    with database.transaction() as session:
        assert programme(session) is first  # nothing changed: the same object, not read again


def test_a_settings_change_committed_elsewhere_is_seen_by_the_next_transaction(database, clock):
    assert get_settings(database).pending_days == 14
    update_settings(database, {"pending_days": 7}, now=clock())
    assert get_settings(database).pending_days == 7


def test_a_change_made_with_plain_sql_moves_the_revision_too(database, clock):
    stores.create_store(database, code="S1", name="Store 1", timezone="Europe/Berlin", now=clock())
    before = revision(database)
    with database.engine.begin() as connection:  # an operator's SQL, not the engine
        connection.execute(sa.text("UPDATE stores SET timezone = 'Europe/Warsaw' WHERE code = 'S1'"))
    assert revision(database) > before
    with database.transaction() as session:
        assert programme(session).stores["S1"].timezone == "Europe/Warsaw"


def test_a_transaction_sees_its_own_configuration_changes_and_does_not_share_them(database, clock):
    with database.transaction() as session:
        assert read_settings(session).pending_days == 14
        save_settings(session, read_settings(session).replace(pending_days=3), now=clock())
        session.flush()
        assert read_settings(session).pending_days == 3
        session.rollback()
    assert get_settings(database).pending_days == 14  # the rolled-back snapshot was not kept


def test_a_revoked_terminal_key_stops_identifying_its_terminal_at_once(database, clock, make_terminal):
    terminal = make_terminal()
    key = issue_terminal_key(database, terminal.code, now=clock())
    assert signing_key(database, key.key_id).terminal_code == terminal.code
    revoke_terminal_key(database, key.key_id, now=clock())
    with pytest.raises(NotAuthenticated):
        signing_key(database, key.key_id)


def test_a_retired_terminal_loses_its_keys_at_once(database, clock, make_terminal):
    terminal = make_terminal()
    key = issue_terminal_key(database, terminal.code, now=clock())
    signing_key(database, key.key_id)
    with database.transaction() as session:
        session.execute(sa.text("UPDATE terminals SET status = 'retired' WHERE code = :c"), {"c": terminal.code})
    with pytest.raises(NotAuthenticated):
        signing_key(database, key.key_id)


def test_budget_slices_used_by_accruals_do_not_move_the_revision(database):
    with database.transaction() as session:
        before = session.scalar(sa.select(ProgrammeRevisionRow.revision))
        session.execute(sa.text("UPDATE campaign_budget_slices SET used = used"))
        assert session.scalar(sa.select(ProgrammeRevisionRow.revision)) == before


@pytest.mark.parametrize("table", sorted(WATCHED_TABLES | WATCHED_INSERT_DELETE))
def test_every_watched_table_has_a_trigger_that_moves_the_revision(database, table):
    with database.transaction() as session:
        if database.is_sqlite:
            found = session.scalars(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                            "AND tbl_name = :t"), {"t": table}).all()
            events = {e for e in ("INSERT", "UPDATE", "DELETE") if any(f"AFTER {e} ON {table}" in s for s in found)}
        else:
            found = session.scalars(sa.text("SELECT event_manipulation FROM information_schema.triggers "
                                            "WHERE event_object_table = :t AND action_statement LIKE "
                                            "'%bump_programme_revision%'"), {"t": table}).all()
            events = set(found)
    expected = {"INSERT", "DELETE"} if table in WATCHED_INSERT_DELETE else {"INSERT", "UPDATE", "DELETE"}
    assert events == expected
