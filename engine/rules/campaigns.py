"""Campaigns: time-boxed groups of rules with an optional budget, target segment and holdout.

Guarantees:
- a campaign's budget is never exceeded, also under concurrent accruals: it is cut into
  slices (rows) when the campaign is created, and an accrual takes points from slices it
  locks with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, starting at a slice chosen by the
  member, so concurrent accruals lock different rows instead of queueing on one. A slice's
  ``used`` can never pass its ``size`` (a CHECK constraint);
- on PostgreSQL an accrual takes each campaign's points (when at most half a slice's size,
  of a budget in at least 16 slices) in the statement that writes the sale
  (``BudgetClaims``), from one slice with room for all of them, so the slice is locked only
  from then until the commit; when no slice has that room, nothing of the sale is written
  and it runs again taking what is left slice by slice (``claim_budget``), as larger claims
  are taken at once: the points given are the same;
- an accrual never waits for a slice another accrual holds: near exhaustion, a sale may get
  less than what is left while other sales hold the last slices (it is recorded as capped
  by ``campaign_budget``);
- a campaign's ``member_cap`` caps what one member gets from its rules in all (the sum of
  what its rules applied to the member's sales, refunds not given back); accruals of one
  member take turns on the member's account, so the cap holds under concurrent sales;
- the holdout group is stable: a member is held out of a campaign when the first 8 bytes of
  sha256("<campaign code>:<member public id>") read as a fraction of 2^64 fall below the
  campaign's ``holdout_share``; held-out members never get its rules.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import instants
from engine.database import Database, insert_unique, is_postgres, postgresql_row
from engine.errors import Conflict, InvalidState, Problem, not_found, refuse_if
from engine.orm.rules import CampaignBudgetSliceRow, CampaignRow, SegmentRow
from engine.rules.validation import KEY

DEFAULT_SLICES = 64


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    budget: int | None
    segment_code: str | None
    holdout_share: Decimal
    budget_used: int
    member_cap: int | None = None


def create_campaign(db: Database, *, code: str, name: str, starts_at: datetime, ends_at: datetime,
                    budget: int | None = None, segment_code: str | None = None,
                    holdout_share: Decimal = Decimal(0), now: datetime, slices: int = DEFAULT_SLICES,
                    member_cap: int | None = None) -> Campaign:
    """Create a campaign (its budget cut into ``slices`` rows; ``member_cap``: at most that
    many points to one member in all); refuses invalid input with every problem."""
    problems = []
    if not (isinstance(code, str) and KEY.match(code)):
        problems.append(Problem("code", "must be 1 to 64 lower-case letters, digits, '-' or '_'"))
    _check_name(name, problems)
    starts, ends = instants.in_utc(starts_at), instants.in_utc(ends_at)
    for field, instant in (("starts_at", starts), ("ends_at", ends)):
        if instant is None:
            problems.append(Problem(field, f"must be an instant with a time zone, {instants.RANGE_TEXT}"))
    if starts and ends and not starts < ends:
        problems.append(Problem("ends_at", "must be an instant after starts_at"))
    if budget is not None:
        _check_budget(budget, problems)
    if member_cap is not None:
        _check_member_cap(member_cap, problems)
    if not (isinstance(holdout_share, Decimal) and holdout_share.is_finite() and 0 <= holdout_share < 1
            and holdout_share == holdout_share.quantize(Decimal("0.0001"))):
        problems.append(Problem("holdout_share", "must be a fraction from 0 to below 1 with at most 4 decimals"))
    if not (isinstance(slices, int) and 1 <= slices <= 1024):
        problems.append(Problem("slices", "must be from 1 to 1024"))
    refuse_if(problems)
    with db.transaction() as session:
        if segment_code is not None and session.scalar(  # shared: a removal takes its turn before or after
                sa.select(SegmentRow.id).where(SegmentRow.code == segment_code).with_for_update(read=True)) is None:
            refuse_if([Problem("segment_code", f"unknown segment {segment_code!r}")])
        row = CampaignRow(code=code, name=name.strip(), starts_at=starts_at, ends_at=ends_at, budget=budget,
                          segment_code=segment_code, holdout_share=holdout_share, created_at=now,
                          member_cap=member_cap)
        insert_unique(session, row, Conflict(f"campaign {code!r} already exists", code="duplicate_campaign"))
        if budget is not None:
            _add_slices(session, row.id, budget, first_no=0, slices=slices)
        session.flush()
        return _campaign(session, row)


def change_campaign(db: Database, code: str, *, now: datetime, name: str | None = None,
                    ends_at: datetime | None = None, budget: int | None = None,
                    member_cap: int | None = None) -> Campaign:
    """Change what is given of a campaign that has not ended: its ``name``; its end
    (``ends_at``, later or earlier, but after its start and after ``now``; to end it now, use
    :func:`end_campaign`); its ``budget`` (raised or cut, never below what it has given); its
    ``member_cap`` (from the next sale on; a member already past a lower cap gets no more).
    Refuses every problem at once and changes nothing then.

    A raise adds slices, so no accrual waits for it. A cut takes room from the slices with
    room, highest slice first, and locks them until it commits: an accrual at that moment
    skips them and may get less than its bonus (recorded as capped by ``campaign_budget``).
    A campaign created without a budget cannot be given one: what it gave before was never
    counted."""
    problems: list[Problem] = []
    if name is None and ends_at is None and budget is None and member_cap is None:
        problems.append(Problem("campaign", "give a new name, end, budget or member cap"))
    if name is not None:
        _check_name(name, problems)
    ends = None if ends_at is None else instants.in_utc(ends_at)
    if ends_at is not None and ends is None:
        problems.append(Problem("ends_at", f"must be an instant with a time zone, {instants.RANGE_TEXT}"))
    if budget is not None:
        _check_budget(budget, problems)
    if member_cap is not None:
        _check_member_cap(member_cap, problems)
    refuse_if(problems)
    with db.transaction() as session:
        row = _running(session, code, now)
        if ends is not None and not ends > max(now, row.starts_at):
            problems.append(Problem("ends_at", "must be after the campaign's start and after now "
                                               "(to end it now, end it)"))
        if budget is not None and row.budget is None:
            problems.append(Problem("budget", "the campaign was created without a budget; what it gave "
                                              "before was not counted, so it cannot be given one"))
        slices = []
        if budget is not None and row.budget is not None and budget < row.budget:
            # the slices are locked first, so that what they say is given is final
            slices = list(session.scalars(sa.select(CampaignBudgetSliceRow)
                                          .where(CampaignBudgetSliceRow.campaign_id == row.id)
                                          .order_by(CampaignBudgetSliceRow.slice_no.desc()).with_for_update()))
            given = sum(s.used for s in slices)
            if budget < given:
                problems.append(Problem("budget", f"must be at least the {given} points the campaign has given"))
        refuse_if(problems)
        if name is not None:
            row.name = name.strip()
        if member_cap is not None:
            row.member_cap = member_cap
        if ends is not None:
            row.ends_at = ends_at
        if budget is not None and row.budget is not None and budget != row.budget:
            if budget > row.budget:
                last = session.scalar(sa.select(sa.func.max(CampaignBudgetSliceRow.slice_no))
                                      .where(CampaignBudgetSliceRow.campaign_id == row.id))
                _add_slices(session, row.id, budget - row.budget, first_no=last + 1, slices=DEFAULT_SLICES)
            else:
                cut = row.budget - budget
                for slice_row in slices:
                    taken = min(cut, slice_row.size - slice_row.used)
                    slice_row.size -= taken
                    cut -= taken
            row.budget = budget
        session.flush()
        return _campaign(session, row)


def end_campaign(db: Database, code: str, *, now: datetime) -> Campaign:
    """End campaign ``code`` at ``now`` (one that has not started yet never runs): sales from
    ``now`` on no longer get its rules, while a sale made before, arriving later from an
    offline till, still does (the sale's time decides). Refuses a campaign already ended."""
    with db.transaction() as session:
        row = _running(session, code, now)
        row.ends_at = max(now, row.starts_at)
        session.flush()
        return _campaign(session, row)


def list_campaigns(db: Database) -> list[Campaign]:
    """Every campaign with the budget used so far, by code."""
    with db.transaction() as session:
        return [_campaign(session, row) for row in session.scalars(sa.select(CampaignRow).order_by(CampaignRow.code))]


def get_campaign(db: Database, code: str) -> Campaign:
    """Campaign ``code`` with the budget used so far; NotFound for an unknown code."""
    with db.transaction() as session:
        row = session.scalar(sa.select(CampaignRow).where(CampaignRow.code == code))
        if row is None:
            raise not_found("campaign", code)
        return _campaign(session, row)


def held_out(campaign_code: str, member_public_id: str, share: Decimal) -> bool:
    """Whether the member is in the campaign's holdout (control) group: stable, no state."""
    digest = hashlib.sha256(f"{campaign_code}:{member_public_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < share


def budget_left(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    """What each budgeted campaign has left (read without locks)."""
    rows = session.execute(sa.select(CampaignBudgetSliceRow.campaign_id,
                                     sa.func.sum(CampaignBudgetSliceRow.size - CampaignBudgetSliceRow.used))
                           .where(CampaignBudgetSliceRow.campaign_id.in_(campaign_ids))
                           .group_by(CampaignBudgetSliceRow.campaign_id))
    return {cid: int(left) for cid, left in rows}


def claim_budget(session: Session, campaign_id: int, points: int, *, start: int, slice_count: int) -> int:
    """Take up to ``points`` from the campaign's ``slice_count`` budget slices; returns what was taken.

    Slices are visited from slice number ``start`` (mod the count), skipping slices other
    transactions hold; the locks last until the caller's transaction ends."""
    if not slice_count:
        return points  # no budget: unlimited
    taken = 0
    postgresql = is_postgres(session)
    params = {"campaign": campaign_id, "shift": _shift(start, slice_count), "count": slice_count}
    while taken < points:
        if postgresql:  # pick and take in one statement
            found = postgresql_row(session, _TAKE_ON_POSTGRESQL, {**params, "wanted": points - taken})
            took = None if found is None else found.took
        else:  # SQLite: the transaction holds the write lock; RETURNING cannot read the pick
            found = session.execute(_PICK, params).first()
            took = None if found is None else min(points - taken, found.room)
            if took is not None:
                session.execute(_USE, {"slice_id": found.id, "took": took})
        if took is None:
            break
        taken += took
    return taken


def _shift(start: int, slice_count: int) -> int:
    # what ORDER BY (slice_no + shift) % count adds so that slice number ``start`` (mod the
    # count) comes first
    return slice_count - start % slice_count


_SLICES = CampaignBudgetSliceRow.__table__
# The first slice with room from slice number ``start`` on (mod the count), skipping those
# other transactions hold.
_PICK = (sa.select(_SLICES.c.id, (_SLICES.c.size - _SLICES.c.used).label("room"))
         .where(_SLICES.c.campaign_id == sa.bindparam("campaign"), _SLICES.c.used < _SLICES.c.size)
         .order_by((_SLICES.c.slice_no + sa.bindparam("shift")) % sa.bindparam("count"))
         .limit(1).with_for_update(skip_locked=True))
_USE = (sa.update(_SLICES).where(_SLICES.c.id == sa.bindparam("slice_id"))
        .values(used=_SLICES.c.used + sa.bindparam("took")))
# PostgreSQL: _PICK and _USE in one statement, an UPDATE ... FROM the locked pick
_TAKE_ON_POSTGRESQL = sa.text(
    "UPDATE campaign_budget_slices AS slice SET used = slice.used + LEAST(:wanted, pick.room) "
    "FROM (SELECT id, size - used AS room FROM campaign_budget_slices "
    "      WHERE campaign_id = :campaign AND used < size ORDER BY (slice_no + :shift) % :count "
    "      LIMIT 1 FOR UPDATE SKIP LOCKED) AS pick "
    "WHERE slice.id = pick.id RETURNING LEAST(:wanted, pick.room) AS took")


@dataclass
class BudgetClaims:
    """What a sale's campaign rules take from their campaigns' budgets, claimed while the
    rules are evaluated and taken when the sale is written: ``budget_ctes`` in the same
    statement (``engine.ledger.receipts``), instead of one statement per claim. A claim
    answers all the points asked; the statement takes a campaign's points from one slice
    with room for them all, or takes nothing of the sale, and the caller then runs the sale
    again with ``claim_budget`` (:class:`BudgetRanShort`)."""

    start: int  # the member's id: where in a campaign's slices the member's claims start
    wanted: dict[int, list[int]]  # campaign id -> [points, slice count]

    def claim(self, campaign_id: int, points: int, *, slice_count: int, slice_size: int) -> int | None:
        """Claim ``points`` of the campaign's budget: all of them, or None when the claim is
        not for the sale's statement and must be taken now (``claim_budget``). A claim goes
        with the sale when it is at most half a slice's size (a larger one would often find
        no slice with room) and the campaign has enough slices that sales racing for it
        rarely hold all those with room (each such claim runs the sale again)."""
        if slice_count < MIN_SLICES_WITH_THE_SALE or 2 * points > slice_size:
            return None
        self.wanted.setdefault(campaign_id, [0, slice_count])[0] += points
        return points

    def parameters(self) -> dict:
        """The parameters of ``budget_ctes(len(self.wanted))``."""
        found = {}
        for n, (campaign_id, (points, slice_count)) in enumerate(self.wanted.items()):
            found.update({f"budget{n}_campaign": campaign_id, f"budget{n}_points": points,
                          f"budget{n}_shift": _shift(self.start, slice_count),
                          f"budget{n}_count": slice_count})
        return found


# (With a single slice, 8 sales racing at once had 59 % of them denied the bonus and ran at 201
# sales/s when every claim went with the sale, against 76 % and 484/s taken at once: each
# denial ran the sale twice. tests/bench/campaign_budget.py, 2026-12-07.)
MIN_SLICES_WITH_THE_SALE = 16


class BudgetRanShort(Exception):
    """No slice had room for a campaign's claim when the sale was written: nothing of the
    sale is, and it must run again taking the budget slice by slice."""


def budget_ctes(count: int) -> tuple[str, str]:
    """The common table expressions that take ``count`` campaigns' claims
    (``BudgetClaims.parameters``), each from the first slice from the member's start with room
    for all its points that no other transaction holds, and the SQL of how many took theirs
    (all of them, or the sale must run again)."""
    # One CTE per campaign: a statement must not update one row twice.
    ctes = ",\n".join(f"""budget{n} AS (
        UPDATE campaign_budget_slices AS slice SET used = slice.used + :budget{n}_points
        FROM (SELECT id FROM campaign_budget_slices
              WHERE campaign_id = :budget{n}_campaign AND size - used >= :budget{n}_points
              ORDER BY (slice_no + :budget{n}_shift) % :budget{n}_count LIMIT 1 FOR UPDATE SKIP LOCKED) AS pick
        WHERE slice.id = pick.id RETURNING slice.id)""" for n in range(count))
    taken = " + ".join(f"(SELECT count(*) FROM budget{n})" for n in range(count)) or "0"
    return ctes, taken


def _running(session: Session, code: str, now: datetime) -> CampaignRow:
    """Campaign ``code``, locked; refused when unknown or ended (one ended before it started
    ends at its start: it never runs, and is not brought back by a later end)."""
    row = session.scalar(sa.select(CampaignRow).where(CampaignRow.code == code).with_for_update())
    if row is None:
        raise not_found("campaign", code)
    if row.ends_at <= row.starts_at:
        raise InvalidState(f"campaign {code!r} was ended before it started: it never runs", code="campaign_ended")
    if row.ends_at <= now:
        raise InvalidState(f"campaign {code!r} ended at {row.ends_at.isoformat()}", code="campaign_ended")
    return row


def _check_name(name: object, problems: list[Problem]) -> None:
    if not (isinstance(name, str) and 0 < len(name.strip()) <= 200):
        problems.append(Problem("name", "must be a text of 1 to 200 characters"))


def _check_budget(budget: object, problems: list[Problem]) -> None:
    if not (isinstance(budget, int) and not isinstance(budget, bool) and 0 < budget <= 10**12):
        problems.append(Problem("budget", "must be a whole number of points from 1 to 10^12"))


def _check_member_cap(cap: object, problems: list[Problem]) -> None:
    if not (isinstance(cap, int) and not isinstance(cap, bool) and 0 < cap <= 10**9):
        problems.append(Problem("member_cap", "must be a whole number of points from 1 to 10^9"))


def _add_slices(session: Session, campaign_id: int, points: int, *, first_no: int, slices: int) -> None:
    """``points`` of budget as up to ``slices`` new slices (as even as whole points allow)."""
    count = min(slices, points)
    session.add_all(CampaignBudgetSliceRow(campaign_id=campaign_id, slice_no=first_no + i, used=0,
                                           size=points // count + (1 if i < points % count else 0))
                    for i in range(count))


def _campaign(session: Session, row: CampaignRow) -> Campaign:
    used = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CampaignBudgetSliceRow.used), 0))
                          .where(CampaignBudgetSliceRow.campaign_id == row.id))
    return Campaign(row.code, row.name, row.starts_at, row.ends_at, row.budget, row.segment_code,
                    Decimal(row.holdout_share), int(used), row.member_cap)
