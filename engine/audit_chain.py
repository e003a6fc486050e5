"""The audit log's hash chain: evidence that no entry was changed, removed or slipped in once
it was sealed, even by someone who gets past the triggers (the database's owner).

Sealing (the daily ``seal_audit`` job; ``loyalty jobs run seal_audit`` by hand) takes the entries written
before its instant that have no link yet, in id order, and appends for each
``link = SHA-256(previous link + the entry's canonical JSON)`` to ``audit_chain``, which is
append-only too. ``verify_audit_chain`` recomputes every link from the entries as they are
now and names the first that does not match (``loyalty check-audit``, and the job).

Guarantees: sealing is idempotent for its instant and one sealer works at a time (an
advisory lock on PostgreSQL; on SQLite one writer at a time), and an entry is linked at most
once (its id is the link's key), so the chain never forks; links depend only on the entries'
stored values, so sealing and verifying agree on both databases. An entry is evidence
from its sealing on; until then only the triggers guard it. Someone able to rewrite both
tables can forge a whole new chain: the head link (``ChainReport.head``, in the job's
summary) kept elsewhere shows that.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, is_postgres
from engine.orm.access import AuditChainRow, AuditEntryRow

GENESIS = "0" * 64
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"loyalty-audit-chain").digest()[:8], "big", signed=True)
_BATCH = 5000


@dataclass(frozen=True)
class ChainReport:
    """What verifying found: how many entries are sealed, the last link, and the first entry
    that breaks the chain (None: none) with what is wrong with it."""

    sealed: int
    head: str
    broken_at: int | None = None
    problem: str | None = None


def seal_audit(db: Database, *, before: datetime) -> int:
    """Seal, in id order, the entries that have no link yet up to the first written at or
    after ``before`` (an entry never waits behind a later one); how many were sealed."""
    with db.transaction() as session:
        if is_postgres(session):
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        last = session.execute(sa.select(AuditChainRow.entry_id, AuditChainRow.link)
                               .order_by(AuditChainRow.entry_id.desc()).limit(1)).first()
        after, link = (last.entry_id, last.link) if last else (0, GENESIS)
        sealed, batch = 0, []
        with _entries(session, AuditEntryRow.id > after) as entries:
            for entry in entries:
                if entry.at >= before:
                    break
                link = _link(link, entry)
                batch.append({"entry_id": entry.id, "link": link})
                if len(batch) == _BATCH:
                    sealed += _append(session, batch)
        return sealed + _append(session, batch)


def verify_audit_chain(db: Database) -> ChainReport:
    """Recompute every link from the entries as they are now: the first entry changed (its
    link differs), removed (a link without its entry) or slipped in (an entry without a link,
    before the last sealed one), if any."""
    with db.transaction() as session:
        last_sealed = session.scalar(sa.select(sa.func.max(AuditChainRow.entry_id))) or 0
        with (_stream(session, sa.select(AuditChainRow.entry_id, AuditChainRow.link)
                      .order_by(AuditChainRow.entry_id)) as links,
              _entries(session, AuditEntryRow.id <= last_sealed) as entries):
            return _verify(links, entries)


def _verify(links: Iterator, entries: Iterator) -> ChainReport:
    head, sealed = GENESIS, 0
    entry = next(entries, None)
    for sealed_id, stored in links:
        if entry is not None and entry.id < sealed_id:
            return ChainReport(sealed, head, entry.id, "an entry without a link among the sealed ones")
        if entry is None or entry.id > sealed_id:
            return ChainReport(sealed, head, sealed_id, "a sealed entry is missing")
        if _link(head, entry) != stored:
            return ChainReport(sealed, head, sealed_id, "the entry differs from what was sealed")
        head, sealed, entry = stored, sealed + 1, next(entries, None)
    return ChainReport(sealed, head)


def _append(session: Session, links: list[dict]) -> int:
    """Insert ``links`` (one multi-row statement) and empty the list; how many there were."""
    count = len(links)
    if links:
        session.execute(sa.insert(AuditChainRow), links)
        links.clear()
    return count


def _link(previous: str, entry) -> str:
    canonical = json.dumps([entry.id, entry.at.isoformat(), entry.actor, entry.action, entry.target, entry.outcome,
                            entry.source, entry.request_id, entry.detail], ensure_ascii=False)
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


def _entries(session: Session, *conditions):
    return _stream(session, sa.select(AuditEntryRow.id, AuditEntryRow.at, AuditEntryRow.actor, AuditEntryRow.action,
                                      AuditEntryRow.target, AuditEntryRow.outcome, AuditEntryRow.source,
                                      AuditEntryRow.request_id, AuditEntryRow.detail)
                   .where(*conditions).order_by(AuditEntryRow.id))


@contextmanager
def _stream(session: Session, query) -> Iterator[Iterator]:
    """The rows of ``query`` a batch at a time (a log of millions is never held at once); the
    cursor is closed when the block ends, also when it stops early."""
    result = session.execute(query.execution_options(yield_per=_BATCH))
    try:
        yield iter(result)
    finally:
        result.close()
