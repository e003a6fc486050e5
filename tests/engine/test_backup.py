"""Backing up the embedded database while it is in use: a checked, consistent copy that
opens as a programme database; an existing file is never overwritten; PostgreSQL is
refused with a pointer to its own tools."""
import sqlite3
import threading

import pytest

from engine import schema
from engine.backup import back_up
from engine.database import Database
from engine.errors import InvalidInput, InvalidState
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger


@pytest.fixture
def database(sqlite_db):
    return sqlite_db


@pytest.fixture
def backups(tmp_path):
    """An empty folder for backups."""
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder


def test_the_copy_is_a_whole_programme_database_with_the_same_balances(database, clock, make_member, earn, backups):
    ada = make_member(points=500)
    earn(ada, 2000)
    done = back_up(database, backups / "backup.sqlite3")
    assert (done.members, done.revision) == (1, schema.head_revision()) and done.size_bytes > 0
    copy = Database(f"sqlite:///{backups / 'backup.sqlite3'}")
    try:
        assert get_balance(copy, ada.public_id, as_of=clock()) == get_balance(database, ada.public_id, as_of=clock())
        assert check_ledger(copy) == []
    finally:
        copy.dispose()
    assert [p.name for p in backups.iterdir()] == ["backup.sqlite3"]  # no partial file left
    with sqlite3.connect(backups / "backup.sqlite3") as plain:  # SQLite's own tools open it too
        assert plain.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    plain.close()


def test_a_backup_taken_while_sales_go_on_is_consistent(database, clock, make_member, earn, backups, monkeypatch):
    members = [make_member(points=100) for _ in range(5)]
    monkeypatch.setattr("engine.backup.PAGES_PER_STEP", 1)  # many steps, sales in between
    stop, sold = threading.Event(), []

    def sell():
        while not stop.is_set():
            earn(members[len(sold) % 5], 1000)
            sold.append(1)

    seller = threading.Thread(target=sell)
    seller.start()
    try:
        done = back_up(database, backups / "busy.sqlite3")  # checks the copy's ledger
    finally:
        stop.set()
        seller.join()
    assert done.members == 5 and sold


def test_an_existing_file_is_never_overwritten(database, backups):
    (backups / "taken").write_text("keep me")
    with pytest.raises(InvalidInput, match="exists already"):
        back_up(database, backups / "taken")
    assert (backups / "taken").read_text() == "keep me"
    with pytest.raises(InvalidInput, match="does not exist"):
        back_up(database, backups / "no-such-folder" / "backup")


def test_a_copy_that_fails_its_checks_leaves_no_file(database, backups, monkeypatch):
    monkeypatch.setattr("engine.backup.check_ledger", lambda db: ["entries do not balance"])
    with pytest.raises(InvalidState, match="entries do not balance"):
        back_up(database, backups / "backup.sqlite3")
    assert list(backups.iterdir()) == []


@pytest.mark.postgres
def test_postgresql_is_refused_with_its_own_tools_named(postgres_db, backups):
    with pytest.raises(InvalidState, match="pg_dump"):
        back_up(postgres_db, backups / "backup")
    assert list(backups.iterdir()) == []

