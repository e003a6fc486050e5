"""A backup of the embedded (SQLite) database, taken while the service runs.

Guarantees:
- the copy is one consistent snapshot (SQLite's online backup, page by page, started over
  by SQLite itself if a writer changes a page it has copied), whatever the service is
  doing meanwhile; tills and members are not stopped: the copy holds the write lock only
  for the moment each step copies;
- the copy is written next to its target and renamed into place only once it is whole and
  checked, so a backup that fails or is stopped leaves no file that looks like a backup;
- it is checked before it counts: SQLite's integrity check, the schema revision, and the
  ledger's invariants (``engine.ledger.invariants``) on the copy itself;
- an existing file is never overwritten.

PostgreSQL is backed up with its own tools (``pg_dump``, or continuous archiving for a
point in time); this module refuses it and says so.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from engine import schema
from engine.database import Database
from engine.errors import InvalidInput, InvalidState, Problem
from engine.ledger.invariants import check_ledger

PAGES_PER_STEP = 1024  # 4 MiB at SQLite's default page size: the service writes between steps


@dataclass(frozen=True)
class Backup:
    path: str
    size_bytes: int
    revision: str | None
    members: int


def back_up(db: Database, target: Path) -> Backup:
    """Copy the embedded database to ``target`` (a new file) and check the copy; refuses
    PostgreSQL, an existing ``target`` and a copy that fails its checks (then no file is left)."""
    if not db.is_sqlite:
        raise InvalidState("the database is PostgreSQL: back it up with pg_dump (or continuous archiving), "
                           "not with this command", code="not_sqlite")
    target = Path(target)
    if target.exists():
        raise InvalidInput([Problem("file", f"{target} exists already; give a new file name")])
    if not target.parent.is_dir():
        raise InvalidInput([Problem("file", f"the folder {target.parent} does not exist")])
    partial = target.with_name(target.name + ".partial")
    try:
        with db.engine.connect() as connection, sqlite3.connect(partial) as copy:
            connection.connection.driver_connection.backup(copy, pages=PAGES_PER_STEP)
        copy.close()
        backup = _check(partial, target)
        os.replace(partial, target)
        return backup
    finally:
        partial.unlink(missing_ok=True)


def _check(partial: Path, target: Path) -> Backup:
    with sqlite3.connect(partial) as copy:
        integrity = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        members = copy.execute("SELECT COUNT(*) FROM members").fetchone()[0]
    copy.close()
    if integrity != ["ok"]:
        raise InvalidState(f"the copy failed SQLite's integrity check: {'; '.join(integrity[:5])}",
                           code="backup_corrupt")
    copied = Database(f"sqlite:///{partial}")
    try:
        problems = check_ledger(copied)
        revision = schema.current_revision(copied)
    finally:
        copied.dispose()
    if problems:
        raise InvalidState(f"the copy's ledger fails its invariants: {'; '.join(problems[:5])}",
                           code="ledger_unsound")
    return Backup(str(target), partial.stat().st_size, revision, int(members))
