"""Messages for members (expiry warnings for points and vouchers, password links, codes for a
sign-in on a new device, tier changes, notices of a changed password or PIN and of a card
made usable) written by the jobs
and services, handed to whatever delivers them (a mailer, a CRM) and marked delivered by it.

Guarantees: the pending list is oldest first and pages by id, so a deliverer that marks
what it sent and asks again never skips or repeats a message; marking is idempotent (a
message delivered stays as it was first marked); the member's name and e-mail come from
their profile at the time of asking (a closed member's messages are gone with their data);
a password link's or sign-in code's secret is kept only until its message is marked delivered.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import Problem, refuse_if
from engine.orm.jobs import OutboxMessageRow
from engine.orm.members import MemberProfileRow, MemberRow

MAX_PAGE = 1000
MAX_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL
# The secret a message carries, by kind: kept only until the message is marked delivered.
SECRET_FIELDS = {"password_link": "path", "sign_in_code": "code"}


@dataclass(frozen=True)
class MemberMessage:
    id: int
    kind: str
    member_id: str
    full_name: str
    email: str | None
    payload: dict
    created_at: datetime


def write_message(session: Session, *, kind: str, member_pk: int, payload: dict, now: datetime,
                  dedupe_key: str | None = None) -> None:
    """Put a message for the member in the outbox, in the caller's transaction. ``dedupe_key``
    keeps one message for an event that could be written twice (a tier change's id); without
    it, each call is a message of its own."""
    session.add(OutboxMessageRow(kind=kind, member_id=member_pk, created_at=now, payload=json.dumps(payload),
                                 dedupe_key=dedupe_key or f"{kind}:{secrets.token_hex(16)}"))


def pending_messages(db: Database, *, after_id: int = 0, limit: int = 100) -> list[MemberMessage]:
    """Undelivered messages with an id above ``after_id``, oldest first, at most ``limit``."""
    problems = []
    if not 1 <= limit <= MAX_PAGE:
        problems.append(Problem("limit", f"must be from 1 to {MAX_PAGE}"))
    if not 0 <= after_id <= MAX_ID:
        problems.append(Problem("after_id", f"must be from 0 to {MAX_ID}"))
    refuse_if(problems)
    m = OutboxMessageRow
    with db.transaction() as session:
        rows = session.execute(
            sa.select(m.id, m.kind, MemberRow.public_id, MemberProfileRow.full_name, MemberProfileRow.email,
                      m.payload, m.created_at)
            .join(MemberRow, MemberRow.id == m.member_id).join(MemberProfileRow, MemberProfileRow.member_id == m.member_id)
            .where(m.delivered_at.is_(None), m.id > after_id).order_by(m.id).limit(limit))
        return [MemberMessage(i, kind, member, name, email, json.loads(payload), created)
                for i, kind, member, name, email, payload, created in rows]


@dataclass(frozen=True)
class MessageSent:
    """A message the programme wrote for a member, as their data export shows it."""

    kind: str
    created_at: datetime
    delivered_at: datetime | None


def messages_for(db: Database, member_id: str) -> list[MessageSent]:
    """Every message written for the member, oldest first: what it was about and when it was
    written and delivered (not its content: a password link's secret stays out of exports)."""
    m = OutboxMessageRow
    with db.transaction() as session:
        rows = session.execute(sa.select(m.kind, m.created_at, m.delivered_at).join(MemberRow, MemberRow.id == m.member_id)
                               .where(MemberRow.public_id == member_id).order_by(m.id))
        return [MessageSent(kind, created, delivered) for kind, created, delivered in rows]


def mark_delivered(db: Database, message_ids: list[int], *, now: datetime) -> int:
    """Mark the messages delivered at ``now``; how many were not marked before."""
    refuse_if([Problem("ids", f"give 1 to {MAX_PAGE} message ids from 1 to {MAX_ID}")]
              if not (0 < len(message_ids) <= MAX_PAGE and all(0 < i <= MAX_ID for i in message_ids)) else [])
    m = OutboxMessageRow
    with db.transaction() as session:
        secrets_in = session.execute(sa.select(m.id, m.kind, m.payload).where(
            m.id.in_(message_ids), m.delivered_at.is_(None), m.kind.in_(SECRET_FIELDS))).all()
        if secrets_in:  # one statement, by primary key
            session.execute(sa.update(m), [
                {"id": message_id, "payload": json.dumps({**json.loads(payload), SECRET_FIELDS[kind]: None})}
                for message_id, kind, payload in secrets_in])
        return session.execute(sa.update(m).where(m.id.in_(message_ids), m.delivered_at.is_(None))
                               .values(delivered_at=now)).rowcount
