"""The audit log: who did what, to what, when, from where, and how it ended.

Guarantees: entries are only ever added (database triggers refuse UPDATE and DELETE);
every entry names an actor, even when the caller could not be identified ("anonymous").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.database import Database
from engine.orm.access import AuditEntryRow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    outcome: str
    source: str | None
    request_id: str | None
    detail: dict | None


def record_audit(db: Database, *, actor: str, action: str, outcome: str, now: datetime, target: str | None = None,
                 source: str | None = None, request_id: str | None = None, detail: dict | None = None) -> None:
    """Append one entry in its own transaction (so a refused request is still recorded)."""
    with db.transaction() as session:
        session.add(AuditEntryRow(at=now, actor=actor[:100], action=action[:100], target=target and target[:200],
                                  outcome=outcome[:40], source=source and source[:64],
                                  request_id=request_id and request_id[:64],
                                  detail=json.dumps(detail, sort_keys=True, default=str) if detail else None))


def list_audit(db: Database, *, actor: str | None = None, action: str | None = None, target: str | None = None,
               limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """Entries newest first, optionally only one actor's, those whose action begins with
    ``action`` (``POST /v1/staff/`` for every write through the staff API; ``%`` and ``_``
    are plain characters), and those whose target (the address acted on) contains ``target``
    (a member id: every request about that member, through the API or the console)."""
    with db.transaction() as session:
        query = sa.select(AuditEntryRow).order_by(AuditEntryRow.id.desc()).limit(limit).offset(offset)
        if actor:
            query = query.where(AuditEntryRow.actor == actor)
        if action:
            query = query.where(AuditEntryRow.action.startswith(action, autoescape=True))
        if target:
            query = query.where(AuditEntryRow.target.contains(target, autoescape=True))
        return [AuditEntry(id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target, outcome=r.outcome,
                           source=r.source, request_id=r.request_id, detail=json.loads(r.detail) if r.detail else None)
                for r in session.scalars(query)]
