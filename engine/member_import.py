"""Importing members from another system: a CSV file of people with their opening points,
all of it or nothing.

Guarantees:
- every row is checked before anything is written: the file's shape (a header naming known
  columns, ``full_name`` among them; at most ``MAX_ROWS`` rows), each value (the checks of
  enrolling one member, dates, yes/no consents, whole opening points, card UIDs), and each
  e-mail address and card UID (not twice in the file, not a member's or a card's already). A file with any problem is
  refused with every problem found (up to ``MAX_PROBLEMS``), each named by its line and
  column, and changes nothing;
- a sound file is imported in one transaction: each row becomes an active member with an
  account, enrolled at its ``enrolled_at`` (else now) and with the member attribute
  ``origin`` = ``import`` (their first sale here is a first purchase to the rules: a
  first-purchase rule can leave them out with a predicate segment on that attribute);
  opening points are credited by one ``adjust`` posting per member from the adjustment
  account, described ``opening balance``, with a lot available at once that expires at the
  end of the row's ``points_expire_on`` in the programme's time zone (as the old system
  would have had them expire, and as lots and vouchers here end), or
  else under the programme's policy counted from the import; a row's ``card_uid`` (the
  member's card from the old programme, a chip known by its UID) becomes an active UID-only
  card of the member, so the card they carry earns at the till from the first day (paying
  with points on it asks for the member's PIN, as with every UID-only card); each member is
  a ``member.enrolled`` webhook event and each opening balance a ``points.credited`` one;
- idempotent by key like every command that moves points: the same import retried under its
  key gets the first answer; under a new key its e-mails are members already, so it is
  refused.

The answer maps each line (and the row's own ``reference``, such as the old system's
customer number, which is not stored) to the new member id.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.csv_files import write_rows
from engine.database import Database, batches
from engine.errors import InvalidInput, Problem, refuse_if
from engine.ledger import bulk
from engine.ledger.accounts import member_account_code
from engine.ledger.adjustments import MAX_ADJUSTMENT
from engine.card_numbers import normalise_uid, number_problem
from engine.ledger.idempotency import run_idempotent
from engine.members import CONSENTS, new_public_id, profile_problems
from engine.orm.cards import CardRow
from engine.orm.ledger import AccountRow
from engine.orm.members import MemberProfileRow, MemberRow
from engine.orm.rules import MemberAttributeRow
from engine.orm.types import UTCDateTime
from engine.programme import end_of_day, lot_expires_at, start_of_day
from engine.settings import read_settings
from engine.webhooks import record_events

COLUMNS = ("full_name", "email", "phone", "birthday", *CONSENTS, "enrolled_at", "opening_points",
           "points_expire_on", "card_uid", "reference")
MAX_ROWS = 100_000
MAX_PROBLEMS = 100
MAX_REFERENCE = 100
ORIGIN = ("origin", "import")  # the attribute every imported member gets
_YES, _NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")
_WORK = "import_members"


@dataclass(frozen=True)
class ImportRow:
    """One member to import, read and checked; ``line`` is the row's line in the file."""

    line: int
    full_name: str
    email: str | None
    phone: str | None
    birthday: date | None
    consents: dict[str, bool]
    enrolled_at: datetime | None
    opening_points: int
    reference: str | None
    points_expire_at: datetime | None = None  # None: the programme's policy, counted from the import
    card_uid: str | None = None  # normalised


@dataclass(frozen=True)
class ImportedMember:
    line: int
    reference: str | None
    member_id: str
    opening_points: int


@dataclass(frozen=True)
class MembersImported:
    members: int
    points: int
    imported: list[ImportedMember]


def write_mapping(out, imported: list[ImportedMember]) -> None:
    """Write to the text stream ``out`` the CSV that maps each line of an imported file (and its
    reference) to the new member id: what the old system's records are matched with."""
    write_rows(out, ("line", "reference", "member_id", "opening_points"),
               ((m.line, m.reference or "", m.member_id, m.opening_points) for m in imported))


def members_csv_text(data: bytes) -> str:
    """The text of a members file as uploaded; refuses one that is not UTF-8, naming the byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput([Problem("file", f"is not UTF-8 text (byte {error.start}); save it as CSV UTF-8")]) \
            from None


def read_members_csv(text: str, *, now: datetime, timezone: str) -> list[ImportRow]:
    """The rows of a CSV file (comma, semicolon or tab separated, with a header), each value
    checked; refuses the file with every problem found (``line N.column``). Its dates are
    days in ``timezone``, the programme's."""
    zone = ZoneInfo(timezone)
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte order mark
    if "\x00" in text:  # no database stores it in text
        refuse_if([Problem(f"line {text.count(chr(10), 0, text.index(chr(0))) + 1}", "holds a NUL character")])
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        raise InvalidInput([Problem("header", f"is not CSV: {error}")]) from None
    problems = [Problem("header", f"unknown column {name!r}; known: {', '.join(COLUMNS)}")
                for name in header if name not in COLUMNS]
    problems += [Problem("header", f"names {name!r} twice") for name in sorted(set(header))
                 if header.count(name) > 1]
    if "full_name" not in header:
        problems.append(Problem("header", "must name the column full_name"))
    refuse_if(problems)
    rows: list[ImportRow] = []
    first_line_of: dict[tuple[str, str], int] = {}  # (column, value) -> the line it was first on
    for values in _records(reader, problems):
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # a blank line, as spreadsheets leave at the end
        if len(rows) == MAX_ROWS:
            problems.append(Problem("file", f"has more than {MAX_ROWS:,} members; split it"))
            break
        if len(values) != len(header):
            problems.append(Problem(f"line {line}", f"has {len(values)} values for {len(header)} columns"))
            continue
        named = dict(zip(header, (v.strip() for v in values)))
        row, found = _row(line, named, now, zone)
        problems += found
        for column, value in (("email", named.get("email", "").lower()),
                              ("card_uid", normalise_uid(named.get("card_uid", "")))):
            if (column, value) in first_line_of:
                problems.append(Problem(f"line {line}.{column}",
                                        f"{value} is also on line {first_line_of[column, value]}"))
            elif value:
                first_line_of[column, value] = line
        if row is not None:
            rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem("file", f"stopped reading after {MAX_PROBLEMS} problems"))
            break
    if not rows and not problems:
        problems.append(Problem("file", "holds no members"))
    refuse_if(problems)
    return rows


def _records(reader, problems: list[Problem]):
    """The reader's records; a record that is not CSV (a NUL character, a stray quote) ends
    the reading with a problem naming its line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.append(Problem(f"line {reader.line_num}", f"is not CSV: {error}"))
            return


def import_members(db: Database, rows: list[ImportRow], *, caller: str, idempotency_key: str,
                   now: datetime) -> MembersImported:
    """Enrol every row and credit its opening points, in one transaction; refuses the lot if
    any e-mail address belongs to a member already."""
    return run_idempotent(db, caller=caller, key=idempotency_key, command="import_members", request=rows,
                          now=now, work=lambda session: import_rows(session, rows, now=now),
                          result_type=MembersImported)


def import_rows(session: Session, rows: list[ImportRow], *, now: datetime) -> MembersImported:
    """The import's work inside a caller's transaction (an approval's, say): refuses the lot if
    any e-mail address or card UID is a member's or a card's already."""
    refuse_known(session, rows)
    # Core inserts, not ORM objects: a file may hold 100,000 members
    public_ids = [new_public_id() for _ in rows]
    member_pks = session.scalars(
        sa.insert(MemberRow).returning(MemberRow.id, sort_by_parameter_order=True),
        [{"public_id": public_id, "status": "active", "enrolled_at": row.enrolled_at or now, "created_at": now}
         for row, public_id in zip(rows, public_ids)]).all()
    session.execute(sa.insert(MemberProfileRow), [
        {"member_id": pk, "full_name": row.full_name, "email": row.email, "phone": row.phone,
         "birthday": row.birthday, "consents_updated_at": now,
         **{f"consent_{name}": row.consents[name] for name in CONSENTS}}
        for row, pk in zip(rows, member_pks)])
    account_ids = session.scalars(
        sa.insert(AccountRow).returning(AccountRow.id, sort_by_parameter_order=True),
        [{"code": member_account_code(public_id), "kind": "member", "member_id": pk, "balance": 0, "debt": 0}
         for public_id, pk in zip(public_ids, member_pks)]).all()
    session.execute(sa.insert(MemberAttributeRow), [
        {"member_id": pk, "name": ORIGIN[0], "value": ORIGIN[1]} for pk in member_pks])
    members = list(zip(rows, member_pks, account_ids, public_ids))
    # a generator: nothing is built for a file of 100,000 members when no endpoint takes the kind
    record_events(session, "member.enrolled", (dict(member_id=public_id, enrolled_at=row.enrolled_at or now)
                                               for row, public_id in zip(rows, public_ids)), now=now)
    cards = [{"number": row.card_uid, "kind": "uid", "status": "active", "member_id": pk, "issued_at": now,
              "status_changed_at": now} for row, pk, _, _ in members if row.card_uid is not None]
    if cards:
        session.execute(sa.insert(CardRow), cards)
    credited = [(pk, account_id, row.opening_points, row.points_expire_at) for row, pk, account_id, _ in members
                if row.opening_points]
    if credited:
        _credit_opening_points(session, credited, now=now)
    return MembersImported(
        members=len(members), points=sum(row.opening_points for row in rows),
        imported=[ImportedMember(row.line, row.reference, public_id, row.opening_points)
                  for row, _, _, public_id in members])


def _row(line: int, values: dict[str, str], now: datetime, zone: tzinfo) -> tuple[ImportRow | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(column: str, message: str) -> None:
        problems.append(Problem(f"line {line}.{column}", message))

    birthday = enrolled_at = None
    if values.get("birthday"):
        try:
            birthday = date.fromisoformat(values["birthday"])
        except ValueError:
            bad("birthday", f"{values['birthday']!r} is not a date such as 1985-12-10")
    if values.get("enrolled_at"):
        enrolled_at = _instant(values["enrolled_at"], zone)
        if enrolled_at is None:
            bad("enrolled_at", f"{values['enrolled_at']!r} is not a date or an instant with a time zone")
        elif enrolled_at > now:
            bad("enrolled_at", "cannot be in the future")
    consents = {}
    for name in CONSENTS:
        answer = values.get(name, "").lower()
        if answer not in _YES + _NO:
            bad(name, f"{values[name]!r} is neither yes nor no")
        consents[name] = answer in _YES
    points_text = values.get("opening_points") or "0"
    points = int(points_text) if points_text.isdecimal() else -1
    if not 0 <= points <= MAX_ADJUSTMENT:
        bad("opening_points", f"{points_text!r} is not a whole number of points from 0 to {MAX_ADJUSTMENT:,}")
    points_expire_at = None
    if values.get("points_expire_on"):
        try:
            last_day = date.fromisoformat(values["points_expire_on"])
        except ValueError:
            bad("points_expire_on", f"{values['points_expire_on']!r} is not a date such as 2027-03-31")
        else:
            if last_day < now.astimezone(zone).date():
                bad("points_expire_on", "is past: leave those points out of the import")
            points_expire_at = end_of_day(last_day, zone)
    card_uid = normalise_uid(values.get("card_uid", "")) or None
    if card_uid is not None and (problem := number_problem("uid", card_uid)):
        bad("card_uid", problem)
    reference = values.get("reference") or None
    if reference is not None and len(reference) > MAX_REFERENCE:
        bad("reference", f"is longer than {MAX_REFERENCE} characters")
    email = values.get("email", "").lower() or None
    phone = values.get("phone") or None
    full_name = values.get("full_name", "")
    for found in profile_problems(full_name, email, phone, birthday, {}, now):
        bad(found.field, found.message)
    if problems:
        return None, problems
    return ImportRow(line, full_name, email, phone, birthday, consents, enrolled_at, points, reference,
                     points_expire_at, card_uid), []


def _instant(text: str, zone: tzinfo) -> datetime | None:
    """A date (its start in ``zone``, as UTC) or an ISO 8601 instant with a time zone."""
    try:
        if len(text) == 10:
            return start_of_day(date.fromisoformat(text), zone)
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def refuse_known(session: Session, rows: list[ImportRow]) -> None:
    """Refuses the rows whose e-mail address is a member's, or whose card UID a card's, already."""
    problems = []
    for column, value_of, known_in in (("email", lambda row: row.email, MemberProfileRow.email),
                                       ("card_uid", lambda row: row.card_uid, CardRow.number)):
        line_of = {value_of(row): row.line for row in rows if value_of(row) is not None}
        known: list[str] = []
        for batch in batches(list(line_of)):
            known += session.scalars(sa.select(known_in).where(known_in.in_(batch)))
        problems += [(line_of[value], column) for value in known]
    # (the refusal is kept as the request's answer: it names lines, not addresses or cards)
    refuse_if([Problem(f"line {line}.{column}", "is the address of a member already" if column == "email"
                       else "is a card already") for line, column in sorted(problems)][:MAX_PROBLEMS])


def _credit_opening_points(session: Session, credited: list[tuple[int, int, int, datetime | None]], *,
                           now: datetime) -> None:
    """One ``adjust`` posting and lot per member with opening points (new accounts: nobody
    else can hold their locks)."""
    bulk.prepare(session)
    bulk.work_table(session, _WORK, "member_id BIGINT, account_id BIGINT, points BIGINT, transaction_id BIGINT, "
                                    "expires_at TIMESTAMP WITH TIME ZONE")
    session.execute(sa.text(f"INSERT INTO {_WORK} (member_id, account_id, points, expires_at) "
                            "VALUES (:member_id, :account_id, :points, :expires_at)")
                    .bindparams(sa.bindparam("expires_at", type_=UTCDateTime())),
                    [{"member_id": m, "account_id": a, "points": p, "expires_at": e} for m, a, p, e in credited])
    bulk.analyze(session, _WORK)
    bulk.credit_members(session, work=_WORK, at=now, expires_at=lot_expires_at(now, read_settings(session)),
                        description="opening balance", reason="opening_balance",
                        expiry_column="expires_at")
