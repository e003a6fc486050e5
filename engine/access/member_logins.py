"""Members' own sign-in (e-mail and password) and their PIN for UID-only cards.

Guarantees: passwords and PINs are stored only as argon2 hashes; five wrong guesses of
either lock it for fifteen minutes, each further five in a row for twice as long, up to a
day (separately; ``throttle``); unknown e-mail and wrong password get
the same refusal, and an address no member has locks out after as many wrong guesses as a
member's (``sign_in_throttles``), so a lockout tells nothing either;
only active and suspended members sign in (a suspended member reads their points and
history; the ledger refuses them earning and spending); setting a new password ends every
other session of the member at once (a thief signed in elsewhere is signed out).

Password links (a first sign-in after enrolment or import, a forgotten password): asking
for one by e-mail answers the same whether or not the address is a member's, so nobody
learns who is one; for a member who signs in a new single-use link replaces any earlier one and
waits in the outbox (kind ``password_link``) for the mailer, which sends the portal address
``/portal/set-password?link=<secret>``. The member's row keeps only the secret's SHA-256.
The link sets a password once, before it expires (an hour; an invitation from support, a
week), and ends the member's other sessions like any new password. Joining online
(``sign_up_member``) enrols the person and sends such a link, which proves the address is
theirs before anyone can sign in with it.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access import member_devices, sign_in_throttles, throttle
from engine.access.passwords import Passwords, password_problems, pin_problems
from engine.access.principals import Principal
from engine.access.tokens import issue_token, live_token, revoke_member_tokens, token_hash
from engine.database import Database, batches
from engine.errors import Conflict, InvalidInput, InvalidState, NotAuthenticated, Problem, not_found, refuse_if
from engine.members import enrol_in, member_row, profile_problems
from engine.messages import write_message
from engine.orm.access import MemberLoginRow
from engine.orm.jobs import OutboxMessageRow
from engine.orm.members import MemberProfileRow, MemberRow
from engine.orm.rules import MemberAttributeRow, SegmentRow
from engine.rules import referrals
from engine.rules.segments import segment_member_ids
from engine.settings import read_settings

MEMBER_SESSION = timedelta(hours=12)
RESET_LINK = timedelta(hours=1)
LINKS_PER_HOUR = 3  # reset links one address gets in an hour at most; asking more sends nothing
INVITATION_LINK = timedelta(days=7)
SIGN_UP_ORIGIN = ("origin", "online")  # the attribute a member who joined online gets
LINK_PATH = "/portal/set-password?link="
SIGNS_IN = ("active", "suspended")  # the statuses of members who sign in and use their session


@dataclass(frozen=True)
class MemberSignedIn:
    token: str
    expires_at: datetime
    member_id: str
    device_token: str  # to give with the member's next sign-in on this device


def set_member_password(db: Database, member_id: str, password: str, *, passwords: Passwords, now: datetime,
                        current_password: str | None = None, require_current: bool = False,
                        keep_token: str | None = None) -> None:
    """Set the member's password; with ``require_current`` the old one must be given right (a
    wrong one, refused as a problem of ``current_password``, counts toward the sign-in
    lockout, so a stolen session cannot guess it). Every
    live session of the member ends, except ``keep_token`` (the one making the change), and
    the member is told of the change (a ``credentials_changed`` message)."""
    refuse_if(password_problems(password))
    with db.transaction() as session:
        member_pk = member_row(session, member_id, to_change=True).id
        login = _login(session, member_pk)
        refusal = _password_refusal(login, current_password, passwords, now) if require_current else None
        if refusal is None:
            _new_password(session, login, password, passwords=passwords, now=now, keep_token=keep_token)
    if refusal is not None:  # after the commit: the failure is counted
        # a refusal of the field, not of the session (a client reads a 401 as signed out)
        raise InvalidInput([Problem("current_password", WRONG_CURRENT_PASSWORD
                                    if refusal.code == "wrong_credentials" else refusal.message)])


WRONG_CURRENT_PASSWORD = "the current password is wrong"


def send_password_link(db: Database, email: str, *, now: datetime) -> None:
    """A password link for the member with ``email`` who may sign in (active or suspended),
    if there is one and the address has had fewer than LINKS_PER_HOUR in the last hour; the
    same silence either way."""
    email = email.strip().lower() if isinstance(email, str) else ""
    with db.transaction() as session:
        member = _member_by_email(session, email)
        if member is not None and member.status in SIGNS_IN:
            _reset_link(session, member, now=now)


def _reset_link(session: Session, member: MemberRow, *, now: datetime) -> None:
    """A reset link, unless the member's address had LINKS_PER_HOUR in the last hour: the
    per-address limit of sign-in attempts counts per source, and someone with many sources
    could otherwise fill a member's inbox."""
    m = OutboxMessageRow
    recent = session.scalar(sa.select(sa.func.count()).where(
        m.member_id == member.id, m.kind == "password_link", m.created_at > now - timedelta(hours=1)))
    if recent < LINKS_PER_HOUR:
        _link(session, member, purpose="reset", lifetime=RESET_LINK, now=now)


def sign_up_member(db: Database, *, full_name: str, email: str, consents: dict[str, bool] | None = None,
                   birthday: date | None = None, referral_code: str | None = None, now: datetime) -> None:
    """A person joins online: enrolled as an active member (with the attribute ``origin`` =
    ``online``), they get a link to set their password (which also proves the address is
    theirs; a sign-up never confirmed is closed after
    ``engine.member_closure.UNCONFIRMED_SIGN_UP_DAYS``). Refuses only what cannot be right
    (each problem with its field); for an address that is a member's already, that member
    gets a password link instead, so the answer tells no one who is a member. With a friend's
    ``referral_code`` (refused when no active member has it, before the address is looked
    at), a new member is recorded as referred by that friend."""
    consents = dict(consents or {})
    email = (email.strip().lower() or None) if isinstance(email, str) else email
    problems = profile_problems(full_name, email, None, birthday, consents, now)
    if email is None:
        problems.append(Problem("email", "is required to join online"))
    refuse_if(problems)
    try:
        with db.transaction() as session:
            referrer = None if referral_code is None else referrals.referrer_by_code(session, referral_code)
            member = _member_by_email(session, email)
            if member is None:
                member = enrol_in(session, full_name=full_name, email=email, phone=None, birthday=birthday,
                                  consents=consents, now=now)
                session.add(MemberAttributeRow(member_id=member.id, name=SIGN_UP_ORIGIN[0], value=SIGN_UP_ORIGIN[1]))
                _link(session, member, purpose="welcome", lifetime=INVITATION_LINK, now=now)
                if referrer is not None:
                    referrals.record_in(session, referrer, member, now=now)
            elif member.status in SIGNS_IN:  # a member already: the link they would get by asking for one
                _reset_link(session, member, now=now)
    except Conflict:
        pass  # the same address joined at this instant: that request sends the link


def invite_member(db: Database, member_id: str, *, now: datetime) -> datetime:
    """Support sends the member a link to set their password (a week to use it); refuses a
    member who is not active or has no e-mail address. When the link expires."""
    with db.transaction() as session:
        member = member_row(session, member_id, to_change=True)
        if member.status != "active":
            raise InvalidState(f"member {member_id} is {member.status}", code="member_not_active")
        if member.profile.email is None:
            raise InvalidState(f"member {member_id} has no e-mail address to send a link to", code="no_email")
        return _link(session, member, purpose="invitation", lifetime=INVITATION_LINK, now=now)


def invite_segment(db: Database, segment: str, *, now: datetime) -> int:
    """Invite, as ``invite_member`` does, every active member of the segment who has an
    e-mail address and no password yet (after an import, say); how many were invited."""
    with db.transaction() as session:
        found = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == segment))
        if found is None:
            raise not_found("segment", segment)
        members = session.scalars(
            sa.select(MemberRow.id).join(MemberProfileRow)
            .outerjoin(MemberLoginRow, MemberLoginRow.member_id == MemberRow.id)
            .where(MemberRow.id.in_(segment_member_ids(found)), MemberRow.status == "active",
                   MemberProfileRow.email.is_not(None), MemberLoginRow.password_hash.is_(None))
            .order_by(MemberRow.id)).all()
        if members:
            _links(session, list(members), purpose="invitation", lifetime=INVITATION_LINK, now=now)
        return len(members)


def set_password_with_link(db: Database, link: str, password: str, *, passwords: Passwords,
                           now: datetime) -> str:
    """Set the password of the member the link was sent to, and spend the link; refuses an
    unknown, spent, replaced or expired link (one refusal for all) and a member who may no
    longer sign in (closed). The member's id."""
    refuse_if(password_problems(password))
    unusable = NotAuthenticated("this link is not valid (any more): ask for a new one", code="invalid_link")
    if not (isinstance(link, str) and 20 <= len(link) <= 100):
        raise unusable
    with db.transaction() as session:
        login = session.scalar(sa.select(MemberLoginRow).where(MemberLoginRow.link_hash == token_hash(link))
                               .with_for_update())
        if login is None or login.link_expires_at <= now:
            raise unusable
        member = session.get(MemberRow, login.member_id)
        if member.status not in SIGNS_IN:
            raise NotAuthenticated(f"membership is {member.status}", code="member_not_active")
        _new_password(session, login, password, passwords=passwords, now=now)
        return member.public_id


def _new_password(session: Session, login: MemberLoginRow, password: str, *, passwords: Passwords,
                  now: datetime, keep_token: str | None = None) -> None:
    if login.password_hash is not None:  # a first password comes from a link to the address: no news
        _tell_of_change(session, login.member_id, "password", now=now)
    login.password_hash = passwords.hash(password)
    login.failed_logins, login.locked_until = 0, None
    login.link_hash = login.link_expires_at = None  # a new password spends any link
    revoke_member_tokens(session, login.member_id, now=now, keep=keep_token)


def _link(session: Session, member: MemberRow, *, purpose: str, lifetime: timedelta, now: datetime) -> datetime:
    return _links(session, [member.id], purpose=purpose, lifetime=lifetime, now=now)


def _links(session: Session, member_pks: list[int], *, purpose: str, lifetime: timedelta, now: datetime) -> datetime:
    """A new link for each member (a statement per step, whatever their number): their login
    row keeps its hash, an outbox message its secret, and the earlier link's message, if not
    sent yet, goes (its link no longer works). When the links expire."""
    expires_at = now + lifetime
    secret_of = {pk: secrets.token_urlsafe(32) for pk in member_pks}
    hash_of = {pk: token_hash(secret) for pk, secret in secret_of.items()}
    m, login = OutboxMessageRow, MemberLoginRow
    for chunk in batches(member_pks):
        session.execute(sa.delete(m).where(m.member_id.in_(chunk), m.kind == "password_link",
                                           m.delivered_at.is_(None)))
        have = set(session.scalars(sa.select(login.member_id).where(login.member_id.in_(chunk))
                                   .with_for_update()))
        if len(have) < len(chunk):
            session.execute(sa.insert(login), [{"member_id": pk, "failed_logins": 0, "failed_pins": 0}
                                               for pk in chunk if pk not in have])
    session.execute(sa.update(login), [{"member_id": pk, "link_hash": hash_of[pk], "link_expires_at": expires_at}
                                       for pk in member_pks])  # by primary key
    session.execute(sa.insert(m), [
        {"kind": "password_link", "member_id": pk, "dedupe_key": f"password_link:{hash_of[pk]}", "created_at": now,
         "payload": json.dumps({"purpose": purpose, "path": LINK_PATH + secret_of[pk],
                                "expires_at": expires_at.isoformat()})} for pk in member_pks])
    return expires_at


def _member_by_email(session: Session, email: str) -> MemberRow | None:
    return session.scalar(sa.select(MemberRow).join(MemberProfileRow).where(MemberProfileRow.email == email))


def sign_in_member(db: Database, *, email: str, password: str, passwords: Passwords, now: datetime,
                   device_token: str | None = None, code: str | None = None) -> MemberSignedIn:
    """A member token for the right e-mail and password; NotAuthenticated otherwise. On a
    device new to the member, where the programme asks for it, the code sent to the member
    too: without it the refusal is ``device_code_required`` and the code goes out (see
    ``engine.access.member_devices``); a wrong code counts like a wrong password."""
    email = email.strip().lower() if isinstance(email, str) else ""
    with db.transaction() as session:
        member = _member_by_email(session, email)
        login = _login(session, member.id) if member is not None else None
        device = member_devices.known_device(session, member.id, device_token) if member is not None else None
        asks_code = login is not None and device is None and read_settings(session).member_new_device_code
        what = "e-mail or password" if code is None else "e-mail, password or code"
        if login is None:
            refusal = sign_in_throttles.refuse_unknown(session, f"member:{email}", password, passwords, now, what=what)
        else:
            before = throttle.Attempts(login.failed_logins, login.locked_until)
            refusal, attempts = throttle.check_secret(
                before, lambda: passwords.verify(login.password_hash, password) and (
                    not asks_code or code is None or member_devices.code_matches(login, code, now=now)),
                passwords, now, what=what)
            if refusal is None and asks_code and code is None:
                # the password alone clears nothing while the code is still to come: else a
                # right password between wrong codes would let the code be guessed for ever
                attempts = before
            login.failed_logins, login.locked_until = attempts.failures, attempts.locked_until
        if refusal is None and member.status not in SIGNS_IN:
            refusal = NotAuthenticated(f"membership is {member.status}", code="member_not_active")
        if refusal is None and asks_code and code is None:
            member_devices.send_device_code(session, login, now=now)
            refusal = NotAuthenticated("this device is new to the member: sign in again with the code just sent "
                                       "to the member's e-mail address", code="device_code_required")
        if refusal is None:
            if asks_code:
                login.device_code_hash = login.device_code_expires_at = None  # a code admits one device
            if device is None:
                device_token = member_devices.admit_device(session, member.id, now=now)
            else:
                device.last_used_at = now
            token, expires_at = issue_token(session, kind="member", ttl=MEMBER_SESSION, now=now, member_id=member.id)
            public_id = member.public_id
    if refusal is not None:
        raise refusal
    return MemberSignedIn(token, expires_at, public_id, device_token)


def confirm_member_password(db: Database, member_id: str, password: str, *, passwords: Passwords,
                            now: datetime) -> None:
    """Refuse, naming the ``password`` field, unless it is the member's: for what a session
    alone may not do (closing the account). Wrong guesses count toward the sign-in lockout."""
    with db.transaction() as session:
        refusal = _password_refusal(_login(session, member_row(session, member_id, to_change=True).id),
                                    password, passwords, now)
    if refusal is not None:  # after the commit: the failure is counted
        raise InvalidInput([Problem("password", refusal.message)])


def _password_refusal(login: MemberLoginRow, password: str | None, passwords: Passwords,
                      now: datetime) -> NotAuthenticated | None:
    """The throttled check of the member's password, counted on ``login`` (the sign-in
    lockout's counters): the refusal, for the caller to raise once the count is committed."""
    refusal, attempts = throttle.check_secret(
        throttle.Attempts(login.failed_logins, login.locked_until),
        lambda: login.password_hash is not None and passwords.verify(login.password_hash, password or ""),
        passwords, now, what="password")
    login.failed_logins, login.locked_until = attempts.failures, attempts.locked_until
    return refusal


def _tell_of_change(session: Session, member_pk: int, what: str, *, now: datetime) -> None:
    """A ``credentials_changed`` message (``what``: password or pin): a member whose session
    or address someone else took learns of it from their mailbox."""
    write_message(session, kind="credentials_changed", member_pk=member_pk, now=now,
                  payload={"what": what, "at": now.isoformat()})


def member_principal(db: Database, token: str | None, *, now: datetime) -> Principal:
    """The member a token belongs to; NotAuthenticated for a bad token or a closed member."""
    with db.transaction() as session:
        member = session.get(MemberRow, live_token(session, token, kind="member", now=now).member_id)
        if member.status not in SIGNS_IN:
            raise NotAuthenticated(f"membership is {member.status}", code="member_not_active")
        return Principal(kind="member", name=member.public_id)


def set_member_pin(db: Database, member_id: str, pin: str, *, passwords: Passwords, now: datetime,
                   password: str | None = None, require_password: bool = False) -> None:
    """Set the PIN a member types at the till to pay with a UID-only card, and tell the member
    (a ``credentials_changed`` message). With ``require_password`` (the member's own change)
    their password must be given right, named as the ``password`` field when it is not, and
    a wrong one counts toward the sign-in lockout: a stolen session alone sets no PIN."""
    refuse_if(pin_problems(pin))
    with db.transaction() as session:
        login = _login(session, member_row(session, member_id, to_change=True).id)
        refusal = _password_refusal(login, password, passwords, now) if require_password else None
        if refusal is None:
            login.pin_hash = passwords.hash(pin)
            login.failed_pins, login.pin_locked_until = 0, None
            _tell_of_change(session, login.member_id, "pin", now=now)
    if refusal is not None:  # after the commit: the failure is counted
        raise InvalidInput([Problem("password", refusal.message)])


def check_member_pin(session: Session, member_pk: int, pin: str, *, passwords: Passwords,
                     now: datetime) -> NotAuthenticated | None:
    """Check a PIN inside the caller's transaction, counting failures; returns the refusal
    (to raise after the transaction commits the counters) or None when the PIN is right."""
    login = _login(session, member_pk)
    if login.pin_hash is None:
        return NotAuthenticated("the member has no PIN; set one in the member portal", code="no_pin")
    refusal, attempts = throttle.check_secret(throttle.Attempts(login.failed_pins, login.pin_locked_until),
                                              lambda: passwords.verify(login.pin_hash, pin), passwords, now,
                                              what="PIN")
    login.failed_pins, login.pin_locked_until = attempts.failures, attempts.locked_until
    return refusal


def _login(session: Session, member_pk: int) -> MemberLoginRow:
    login = session.get(MemberLoginRow, member_pk, with_for_update=True)
    if login is None:
        login = MemberLoginRow(member_id=member_pk, failed_logins=0, failed_pins=0)
        session.add(login)
    return login
