"""Enrolling members and reading them back.

A member is known to the outside by an opaque public id (``M`` and 12 random base-32
characters) that reveals nothing about them and is never reused; the internal row id
stays inside the engine. Personal data sits in the member's profile.

A member's status is ``active``, ``suspended`` (while support looks into fraud:
``engine.member_suspension``) or ``closed``; only an active member earns, pays with points,
redeems rewards or has a voucher taken at a till (``refuse_unless_active``).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unique
from engine.errors import Conflict, InvalidState, Problem, not_found, refuse_if
from engine.ledger.accounts import open_member_account
from engine.orm.cards import CardRow
from engine.orm.members import MemberProfileRow, MemberRow
from engine.webhooks import record_event

_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{5,31}$")
CONSENTS = ("marketing_email", "marketing_sms", "profiling")


@dataclass(frozen=True)
class Suspension:
    """Why a suspended member is suspended, by whom (``staff:<username>``) and since when."""
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Member:
    public_id: str
    status: str
    enrolled_at: datetime
    full_name: str
    email: str | None
    phone: str | None
    birthday: date | None
    consents: dict[str, bool]
    suspension: Suspension | None = None  # while the status is "suspended"


def new_public_id() -> str:
    """A fresh random member id; 60 random bits make a clash practically impossible."""
    bits = secrets.randbits(60)
    return "M" + "".join(_ID_ALPHABET[(bits >> shift) & 31] for shift in range(0, 60, 5))


def enrol_member(db: Database, *, full_name: str, email: str | None = None,
                 phone: str | None = None, birthday: date | None = None,
                 consents: dict[str, bool] | None = None, now: datetime,
                 enrolled_at: datetime | None = None) -> Member:
    """Enrol a new active member; refuses invalid personal data or an e-mail already used."""
    consents = dict(consents or {})
    email = email.strip().lower() if isinstance(email, str) else email
    refuse_if(profile_problems(full_name, email, phone, birthday, consents, now))
    with db.transaction() as session:
        if email is not None and session.scalar(
                sa.select(MemberProfileRow.member_id).where(MemberProfileRow.email == email)) is not None:
            raise _duplicate_email(email)
        return to_member(enrol_in(session, full_name=full_name, email=email, phone=phone, birthday=birthday,
                                  consents=consents, now=now, enrolled_at=enrolled_at))


def enrol_in(session: Session, *, full_name: str, email: str | None, phone: str | None, birthday: date | None,
             consents: dict[str, bool], now: datetime, enrolled_at: datetime | None = None) -> MemberRow:
    """Enrol checked personal data inside a caller's transaction: the member and their
    account; a concurrent enrolment with the same e-mail is refused as a duplicate."""
    member = MemberRow(public_id=new_public_id(), status="active", enrolled_at=enrolled_at or now, created_at=now)
    member.profile = MemberProfileRow(
        full_name=full_name.strip(), email=email, phone=phone, birthday=birthday, consents_updated_at=now,
        **{f"consent_{name}": consents.get(name, False) for name in CONSENTS})
    insert_unique(session, member, _duplicate_email(email))
    open_member_account(session, member)
    record_event(session, "member.enrolled", dict(member_id=member.public_id, enrolled_at=member.enrolled_at), now=now)
    return member


def get_member(db: Database, public_id: str) -> Member:
    """The member with ``public_id``; refuses an unknown one."""
    with db.transaction() as session:
        return to_member(member_row(session, public_id))


def list_members(db: Database, *, limit: int = 100, offset: int = 0) -> list[Member]:
    """Members in enrolment order, one page at a time."""
    with db.transaction() as session:
        rows = session.scalars(sa.select(MemberRow).order_by(MemberRow.id).limit(limit).offset(offset))
        return [to_member(row) for row in rows]


def find_members(db: Database, query: str, *, limit: int = 20) -> list[Member]:
    """Members a support agent or marketer may mean by ``query``: the one with that member id,
    e-mail address or card number, else those whose name contains it (any case)."""
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        return []
    with db.transaction() as session:
        exact = sa.select(MemberRow).outerjoin(MemberProfileRow).where(sa.or_(
            MemberRow.public_id == text.upper(), MemberProfileRow.email == text.lower(),
            MemberRow.id.in_(sa.select(CardRow.member_id).where(CardRow.number == text))))
        rows = list(session.scalars(exact.limit(limit)))
        if not rows:
            pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = list(session.scalars(sa.select(MemberRow).join(MemberProfileRow)
                                        .where(sa.func.lower(MemberProfileRow.full_name).like(pattern, escape="\\"))
                                        .order_by(MemberRow.id).limit(limit)))
        return [to_member(row) for row in rows]


PROFILE_FIELDS = ("full_name", "phone", "birthday", "consents")
EARLIEST_BIRTHDAY = date(1900, 1, 1)


def update_profile(db: Database, public_id: str, changes: dict, *, now: datetime) -> Member:
    """Change a member's own profile fields (name, phone, birthday, consents) and nothing else.

    Refuses every field outside ``PROFILE_FIELDS`` (status, balance, tier...) and every invalid
    value; nothing is saved then. Consents not named keep their value. The birthday is the
    member's to give once: changing it afterwards is support's (``correct_birthday``), since
    the birthday-month rules and the birthday bonus follow it."""
    problems = [Problem(name, "cannot be changed here") for name in changes if name not in PROFILE_FIELDS]
    refuse_if(problems)
    with db.transaction() as session:
        row = member_row(session, public_id, to_change=True)
        profile = row.profile
        current = to_member(row)
        if "birthday" in changes and current.birthday not in (None, changes["birthday"]):
            refuse_if([Problem("birthday", "is set already; to correct it, ask support")])
        consents = {**current.consents, **(changes.get("consents") or {})}
        merged = {"full_name": current.full_name, "phone": current.phone, "birthday": current.birthday, **changes}
        refuse_if(profile_problems(merged["full_name"], current.email, merged["phone"], merged["birthday"],
                                    changes.get("consents") or {}, now))
        profile.full_name, profile.phone, profile.birthday = merged["full_name"].strip(), merged["phone"], \
            merged["birthday"]
        if consents != current.consents:
            for name in CONSENTS:
                setattr(profile, f"consent_{name}", consents[name])
            profile.consents_updated_at = now
        return to_member(row)


def correct_birthday(db: Database, public_id: str, birthday: date | None, *, now: datetime) -> Member:
    """Support's correction of a member's birthday (a member gives theirs once:
    ``update_profile``); the staff request is audited."""
    refuse_if(birthday_problems(birthday, now))
    with db.transaction() as session:
        row = member_row(session, public_id, to_change=True)
        row.profile.birthday = birthday
        return to_member(row)


def member_row(session: Session, public_id: str, *, lock: bool = False, to_change: bool = False) -> MemberRow:
    """The member's row inside a caller's transaction (``lock``: held until it ends, so that
    changes of the member's own rows take turns); refuses an unknown member, and with
    ``to_change`` a closed one (their account and personal data are gone)."""
    query = sa.select(MemberRow).where(MemberRow.public_id == public_id)
    row = session.scalar(query.with_for_update(of=MemberRow) if lock else query)
    if row is None:
        raise not_found("member", public_id)
    if to_change and row.status == "closed":
        raise InvalidState(f"member {public_id} is closed", code="member_closed")
    return row


def refuse_unless_active(row: MemberRow) -> None:
    """Refuse (code ``member_not_active``) what only an active member may do (earn, pay with
    points, redeem a reward, use a voucher); a suspended member's refusal says to contact support."""
    if row.status == "suspended":
        raise InvalidState(f"member {row.public_id} is suspended while their account is looked into: no points "
                           "can be earned or spent until support reinstates it (the member should contact support)",
                           code="member_not_active")
    if row.status != "active":
        raise InvalidState(f"member {row.public_id} is {row.status}", code="member_not_active")


def to_member(row: MemberRow) -> Member:
    """The plain-data view of a member and their profile (with the suspension while suspended)."""
    profile = row.profile
    suspension = Suspension(row.suspended_reason, row.suspended_by, row.suspended_at) \
        if row.status == "suspended" and row.suspended_at is not None else None
    return Member(
        public_id=row.public_id, status=row.status, enrolled_at=row.enrolled_at,
        full_name=profile.full_name, email=profile.email, phone=profile.phone,
        birthday=profile.birthday,
        consents={name: getattr(profile, f"consent_{name}") for name in CONSENTS}, suspension=suspension)


def _duplicate_email(email: str | None) -> Conflict:
    return Conflict(f"a member with e-mail {email!r} already exists", code="duplicate_email")


def birthday_problems(birthday, now: datetime) -> list[Problem]:
    """The problem with a birthday (None: not given), if any."""
    if birthday is None:
        return []
    if not isinstance(birthday, date) or isinstance(birthday, datetime):
        return [Problem("birthday", "must be a date")]
    if birthday > now.date():
        return [Problem("birthday", "cannot be in the future")]
    if birthday < EARLIEST_BIRTHDAY:
        return [Problem("birthday", f"cannot be before {EARLIEST_BIRTHDAY.isoformat()}")]
    return []


def profile_problems(full_name, email, phone, birthday, consents, now: datetime) -> list[Problem]:
    """Every problem with a member's personal data (also for rows of an import)."""
    problems = []
    if not (isinstance(full_name, str) and 0 < len(full_name.strip()) <= 200):
        problems.append(Problem("full_name", "must be a non-empty text of at most 200 characters"))
    if email is not None and not (isinstance(email, str) and len(email) <= 254 and _EMAIL.match(email)):
        problems.append(Problem("email", f"{email!r} is not an e-mail address"))
    if phone is not None and not (isinstance(phone, str) and _PHONE.match(phone)):
        problems.append(Problem("phone", f"{phone!r} is not a phone number"))
    problems += birthday_problems(birthday, now)
    for name, value in consents.items():
        if name not in CONSENTS:
            problems.append(Problem(f"consents.{name}", f"is not a consent; known: {', '.join(CONSENTS)}"))
        elif not isinstance(value, bool):
            problems.append(Problem(f"consents.{name}", "must be true or false"))
    return problems
