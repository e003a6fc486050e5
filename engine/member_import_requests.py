"""Member imports asked for by one person and approved by another: the console's and the
staff API's way to import a file of members.

An import moves points (the members' opening balances), so, like a points grant, it waits
for a second person's approval whatever its size. The operator's ``loyalty members import``
imports at once, as the person who runs the installation.

Guarantees:
- asking reads and checks the file as an import does (``engine.member_import``: every problem
  by line and column, e-mail addresses and card UIDs that are a member's or a card's already
  included) and keeps it, pending, with what it would do (members, opening points, cards);
  nothing else changes, and a file with any problem is refused;
- the person who asked cannot decide it; a request is decided once;
- approving reads the kept file again and imports it in the decision's transaction: the
  request is approved if and only if its members were imported. A file that no longer fits
  (an address became a member's meanwhile) has its approval refused with the problems, and
  the request stays pending (reject it and ask again with a corrected file);
- asking and deciding are idempotent by key, like every command that moves points;
- the file's text, with the personal data of everyone in it, is kept only until the request
  is decided (erasing a member later must leave no copy behind); the new member ids with the
  file's lines and references stay for download for the programme's key retention
  (``idempotency_retention_days``), then :func:`purge_import_answers` drops them.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import InvalidState, Problem, not_found, refuse_if
from engine.four_eyes import pending_to_decide
from engine.ledger.idempotency import run_idempotent
from engine.member_import import ImportedMember, MembersImported, import_rows, read_members_csv, refuse_known
from engine.orm.members import MemberImportRequestRow
from engine.plain import from_plain, to_plain
from engine.settings import read_settings

MAX_FILE_NAME = 200
MAX_ACTOR = 100


@dataclass(frozen=True)
class AskToImport:
    file_name: str
    csv: str  # the file's text
    actor: str


@dataclass(frozen=True)
class DecideImport:
    import_id: str
    approve: bool
    actor: str


@dataclass(frozen=True)
class ImportRequest:
    import_id: str
    file_name: str
    status: str  # "pending", "approved", "rejected"
    members: int
    points: int  # opening points, all members together
    cards: int  # old cards the import makes UID cards
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None


def ask_to_import(db: Database, command: AskToImport, *, caller: str, idempotency_key: str,
                  now: datetime) -> ImportRequest:
    """Check the file and keep it for a second person's approval; nothing is imported yet."""
    def work(session: Session) -> ImportRequest:
        refuse_if(_problems(command))
        rows = read_members_csv(command.csv, now=now, timezone=read_settings(session).timezone)
        refuse_known(session, rows)
        row = MemberImportRequestRow(
            public_id="import_" + secrets.token_hex(8), file_name=command.file_name.strip(), csv=command.csv,
            members=len(rows), points=sum(r.opening_points for r in rows),
            cards=sum(1 for r in rows if r.card_uid is not None), requested_by=command.actor.strip(),
            requested_at=now, status="pending")
        session.add(row)
        session.flush()
        return _request(row)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="ask_to_import", request=command,
                          now=now, work=work, result_type=ImportRequest)


def decide_import(db: Database, command: DecideImport, *, caller: str, idempotency_key: str,
                  now: datetime) -> ImportRequest:
    """Approve (import the kept file, now) or reject a pending request; the person who asked
    cannot decide it. The request as it stands after."""
    def work(session: Session) -> ImportRequest:
        row = pending_to_decide(session, MemberImportRequestRow, command.import_id, command.actor,
                                name="member import", asked_for="an import", code="import", longest_actor=MAX_ACTOR)
        if command.approve:
            rows = read_members_csv(row.csv, now=now, timezone=read_settings(session).timezone)
            row.answer = json.dumps(to_plain(import_rows(session, rows, now=now)))
        row.csv = ""  # the people in it are members now, or nobody: no copy of their data stays
        row.status = "approved" if command.approve else "rejected"
        row.decided_by, row.decided_at = command.actor.strip(), now
        session.flush()
        return _request(row)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="decide_import", request=command,
                          now=now, work=work, result_type=ImportRequest)


def list_import_requests(db: Database, *, status: str | None = None, limit: int = 50,
                         offset: int = 0) -> list[ImportRequest]:
    """Import requests newest first, all or those of one status."""
    with db.transaction() as session:
        query = sa.select(MemberImportRequestRow).order_by(MemberImportRequestRow.id.desc()).limit(limit).offset(offset)
        if status is not None:
            query = query.where(MemberImportRequestRow.status == status)
        return [_request(row) for row in session.scalars(query)]


def get_import_request(db: Database, import_id: str) -> ImportRequest:
    """One import request by its id."""
    with db.transaction() as session:
        return _request(_row(session, import_id))


def imported_members(db: Database, import_id: str) -> list[ImportedMember]:
    """Each line of an approved import with the member id it got (and the file's reference);
    refuses a request not approved."""
    with db.transaction() as session:
        row = _row(session, import_id)
        if row.status != "approved":
            raise InvalidState(f"member import {row.public_id} is {row.status}: only an approved import has members",
                               code="import_not_approved")
        if row.answer is None:
            raise InvalidState(f"the new member ids of import {row.public_id} were kept for "
                               f"{read_settings(session).idempotency_retention_days} days after its approval",
                               code="import_ids_purged")
        return from_plain(MembersImported, json.loads(row.answer)).imported


def purge_import_answers(db: Database, *, as_of: datetime) -> int:
    """Drop the new member ids (with the file's references) of imports approved longer than
    the programme's key retention before ``as_of``; how many imports."""
    with db.transaction() as session:
        cutoff = as_of - timedelta(days=read_settings(session).idempotency_retention_days)
        r = MemberImportRequestRow
        return session.execute(sa.update(r).where(r.answer.is_not(None), r.decided_at < cutoff)
                               .values(answer=None)).rowcount


def _row(session: Session, import_id: str) -> MemberImportRequestRow:
    row = session.scalar(sa.select(MemberImportRequestRow).where(MemberImportRequestRow.public_id == import_id))
    if row is None:
        raise not_found("member import", import_id)
    return row


def _request(row: MemberImportRequestRow) -> ImportRequest:
    return ImportRequest(import_id=row.public_id, file_name=row.file_name, status=row.status, members=row.members,
                         points=row.points, cards=row.cards, requested_by=row.requested_by,
                         requested_at=row.requested_at, decided_by=row.decided_by, decided_at=row.decided_at)


def _problems(command: AskToImport) -> list[Problem]:
    problems = []
    for field, limit in (("file_name", MAX_FILE_NAME), ("actor", MAX_ACTOR)):
        text = getattr(command, field)
        if not (isinstance(text, str) and 0 < len(text.strip()) <= limit):
            problems.append(Problem(field, f"is required, at most {limit} characters"))
    if not isinstance(command.csv, str):
        problems.append(Problem("csv", "must be the file's text"))
    return problems
