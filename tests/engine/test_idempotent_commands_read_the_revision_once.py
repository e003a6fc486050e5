"""An idempotent command's claim reads the configuration's revision; its configuration reads
use that revision instead of asking again (one round trip less on every command)."""
from __future__ import annotations

from engine.settings import read_settings, save_settings
from engine.snapshot import check_revision, programme
from tests.support.statements import statements_of


def revision_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "programme_revision" in s]


def test_an_accrual_reads_the_revision_once_with_its_idempotency_claim(database, make_member, earn):
    member = make_member()
    earn(member, 1000)  # the process keeps the snapshot
    statements = statements_of(database, lambda: earn(member, 1250))
    assert len(revision_reads(statements)) == 1, "\n".join(statements)
    assert "idempotency_keys" in revision_reads(statements)[0]


def test_a_transaction_without_a_claim_still_reads_the_revision_itself(database):
    def read():
        with database.transaction() as session:
            programme(session)
    read()
    assert len(revision_reads(statements_of(database, read))) == 1


def test_the_revision_read_by_the_claim_is_taken_as_the_current_one(database):
    with database.transaction() as session:
        current = programme(session).revision
    with database.transaction() as session:
        check_revision(session, current)
        statements = statements_of(database, lambda: programme(session))
        assert programme(session).revision == current
    assert statements == []  # the kept snapshot, at the claim's revision: nothing read


def test_a_configuration_change_after_the_claim_is_seen_by_the_same_transaction(database, clock):
    with database.transaction() as session:
        current = programme(session).revision
    with database.transaction() as session:
        check_revision(session, current)
        save_settings(session, read_settings(session).replace(pending_days=3), now=clock())
        session.flush()
        assert read_settings(session).pending_days == 3
        session.rollback()
    with database.transaction() as session:
        assert read_settings(session).pending_days == 14


def test_a_claim_after_the_transaction_changed_the_configuration_does_not_hide_the_change(database, clock):
    with database.transaction() as session:
        current = programme(session).revision
    with database.transaction() as session:
        save_settings(session, read_settings(session).replace(pending_days=3), now=clock())
        session.flush()
        check_revision(session, current)
        assert read_settings(session).pending_days == 3
        session.rollback()
