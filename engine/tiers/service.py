"""Tier services.

Guarantees:
- ``define_tiers`` replaces the tier list and policy as a whole, or refuses with every
  problem and changes nothing; a tier still held by a member, pricing a reward, or named by
  a rule version in force or still to come cannot be removed (a predicate segment naming it
  keeps its other conditions: segments cannot be changed, so it must not block the ladder);
- every change of a member's tier writes one ``tier_changes`` row and updates
  ``members.tier_code`` in the same transaction; every change to another tier but the
  lowest one at enrolment (an upgrade, a review's move up or down, staff's assignment)
  also writes a ``tier_changed`` message for the member (``engine.messages``): the tier
  they left and the one they are in, with its name, ``up`` or ``down``, and when (and a
  ``tier.changed`` webhook event, named by the change, ``engine.webhooks``); a review
  that starts a grace period writes ``tier_grace``: the tier kept, and until when;
- ``upgrade_on_accrual`` (called inside the accrual's transaction, under the member's
  account lock) raises the tier at once when the window's qualifying points (or spend,
  by the policy's ``measure``) reach a higher threshold (the window's sum is read with the
  member's facts, before the sale is posted, and counts the sale exactly once: only when it
  lies in the window, and in spend before the floor at zero); it never lowers a tier (nor moves
  a member back when its member row predates a review that raised them; when that row
  predates a review that lowered them, an upgrade it hides waits for the next accrual);
- qualifying spend is what the member paid for purchases in the window (not the part paid
  with points), less what was refunded in the window, never below zero; qualifying points
  are what purchases earned in the window, less what refunds in the window reversed of it
  (not the points a refund gives back that had paid for the purchase), never below zero;
  one SQL definition
  (``_spend_sql``) serves the accrual, the progress and the set-based review, as one
  (``_points_sql``) does for qualifying points;
- ``review_tiers`` is a function of ``as_of``, idempotent (a reviewed member's next review
  lies after ``as_of``), set-based (one group of statements per distinct review instant),
  and applies ``policy.review_outcome`` exactly (the tests compare the two).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.database import Database, is_postgres, json_object, postgresql_row, utc_text
from engine.errors import InvalidState, Problem, not_found, refuse_if
from engine.ledger import bulk
from engine.ledger.accounts import lock_member_account
from engine.members import member_row
from engine.messages import write_message
from engine.orm.members import MemberRow
from engine.orm.rewards import RewardRow, RewardTierPriceRow
from engine.orm.tiers import MemberTierRow, TierChangeRow, TierPolicyRow, TierRow
from engine.orm.types import UTCDateTime
from engine.programme import add_months, end_of_day
from engine.rules.versions import rules_naming
from engine.settings import read_settings
from engine.snapshot import lock_programme, programme
from engine.tiers.policy import (TierDefinition, TierPolicy, next_review, qualified_rank, validate_tiers,
                                 window_start)
from engine.webhooks import record_events, record_events_selected

QUALIFYING_WORDS = {"points": "qualifying points", "spend": "qualifying spend (minor units)"}


@dataclass(frozen=True)
class MemberTier:
    member_id: str
    tier_code: str
    since: datetime
    review_due_at: datetime
    grace_until: datetime | None


@dataclass(frozen=True)
class TierProgress:
    """Where a member stands: ``needed`` more qualifying points (or spend, in minor units,
    when ``measure`` is ``spend``) by ``by`` reach ``next_tier``; ``to_keep`` more by then
    keep ``tier_code`` (None in the lowest tier, 0 when the window holds enough already); in
    a grace period, the tier is kept until ``grace_until`` whatever the window holds."""

    member_id: str
    tier_code: str
    qualifying_points: int
    window_start: datetime
    next_tier: str | None
    needed: int | None
    by: datetime
    measure: str = "points"
    to_keep: int | None = None
    grace_until: datetime | None = None


def define_tiers(db: Database, tiers: list[TierDefinition], policy: TierPolicy, *, now: datetime) -> None:
    """Replace the tier list (lowest first) and the tier policy."""
    refuse_if(validate_tiers(tiers, policy))
    with db.transaction() as session:
        lock_programme(session)  # two definitions at once (a double click) take turns
        held = set(session.scalars(sa.select(MemberTierRow.tier_code).distinct()))
        gone = held - {t.code for t in tiers}
        problems = [Problem("tiers", f"tier {code} is held by members; assign them another tier first")
                    for code in sorted(gone)]
        kept = {t.code for t in tiers}
        priced: dict[str, list[str]] = {}
        for tier_code, reward_code in session.execute(
                sa.select(RewardTierPriceRow.tier_code, RewardRow.code).join(RewardRow)
                .where(RewardTierPriceRow.tier_code.not_in(kept)).order_by(RewardRow.code)):
            priced.setdefault(tier_code, []).append(reward_code)
        problems += [Problem("tiers", f"tier {code} prices rewards {', '.join(rewards)}; remove those prices first")
                     for code, rewards in sorted(priced.items())]
        problems += _naming_problems(session, kept, now)
        refuse_if(problems)
        existing = {row.code: row for row in session.scalars(sa.select(TierRow))}
        for row in existing.values():
            row.rank = -1 - row.rank  # free the (unique) ranks for the new order
        session.flush()
        for row in existing.values():
            if row.code not in {t.code for t in tiers}:
                session.delete(row)
        session.flush()
        for rank, tier in enumerate(tiers):
            row = session.get(TierRow, tier.code) or TierRow(code=tier.code)
            row.name, row.rank, row.threshold, row.earn_multiplier = tier.name.strip(), rank, tier.threshold, \
                tier.earn_multiplier
            session.add(row)
        row = session.get(TierPolicyRow, 1) or TierPolicyRow(id=1)
        row.window_kind, row.window_months, row.review, row.grace_months, row.measure, row.updated_at = \
            policy.window, policy.window_months, policy.review, policy.grace_months, policy.measure, now
        session.add(row)


def _naming_problems(session: Session, kept: set[str], now: datetime) -> list[Problem]:
    """The tiers outside ``kept`` that a rule version in force or still to come at ``now``
    names in a tier condition: without the tier, the rule could not be rolled back or
    imported again, and would never match."""
    return [Problem("tiers", f"tier {code} is named by rules {', '.join(sorted(keys))}; retire or change them first")
            for code, keys in sorted(rules_naming(session, "tier", now).items()) if code not in kept]


def list_tiers(db: Database) -> tuple[list[TierDefinition], TierPolicy | None]:
    """The tiers, lowest first, and the policy (None before tiers are defined)."""
    with db.transaction() as session:
        return _tiers(session), _policy(session)


def assign_tier(db: Database, member_id: str, tier_code: str, *, reason: str, actor: str,
                now: datetime, keep_until: date | None = None) -> MemberTier:
    """Put a member in a tier by hand (with a reason); the next review starts from it. With
    ``keep_until`` (a day of the programme's calendar, within ten years) no review comes
    before the first regular one after that day: an invited or lifetime-like tier is not
    taken away by the next review, and what the member then qualifies for decides as usual."""
    with db.transaction() as session:
        zone = _zone(session)
        today = now.astimezone(zone).date()
        problems = [] if isinstance(reason, str) and 0 < len(reason.strip()) <= 200 else [
            Problem("reason", "is required (at most 200 characters)")]
        if keep_until is not None and not (type(keep_until) is date and today < keep_until <= add_months(today, 120)):
            problems.append(Problem("keep_until", "must be a day after today, at most ten years ahead"))
        refuse_if(problems)
        member = member_row(session, member_id, to_change=True)  # a closed account holds no tier
        if session.get(TierRow, tier_code) is None:
            raise not_found("tier", tier_code)
        policy = _need_policy(session)
        _lock(session, member.id)
        state = session.get(MemberTierRow, member.id)
        after = now if keep_until is None else end_of_day(keep_until, zone)
        note = f"{actor}: {reason.strip()}" + (f" (kept until {keep_until.isoformat()})" if keep_until else "")
        _change(session, member, state, tier_code, reason="manual", note=note[:200],
                now=now, review_due_at=next_review(policy, after, zone, since=now))
        return _member_tier(member, session.get(MemberTierRow, member.id))


def member_tier(db: Database, member_id: str) -> MemberTier | None:
    """The member's tier state (None before tiers are defined or reviewed for them)."""
    with db.transaction() as session:
        member = _member(session, member_id)
        state = session.get(MemberTierRow, member.id)
        return None if state is None else _member_tier(member, state)


def tier_history(db: Database, member_id: str) -> list[dict]:
    """Every tier change of the member, oldest first."""
    with db.transaction() as session:
        member = _member(session, member_id)
        rows = session.scalars(sa.select(TierChangeRow).where(TierChangeRow.member_id == member.id)
                               .order_by(TierChangeRow.id))
        return [{"from": r.from_code, "to": r.to_code, "reason": r.reason, "note": r.note, "at": r.at}
                for r in rows]


def tier_progress(db: Database, member_id: str, *, as_of: datetime) -> TierProgress:
    """Qualifying points in the current window and what the next tier still needs, and by
    when (the member's next review)."""
    with db.transaction() as session:
        member = _member(session, member_id)
        policy, zone, tiers = _need_policy(session), _zone(session), _tiers(session)
        state = session.get(MemberTierRow, member.id)
        current = state.tier_code if state else tiers[0].code
        by = state.review_due_at if state else next_review(policy, as_of, zone, since=member.enrolled_at)
        start = window_start(policy, as_of, zone)
        points = _qualifying(session, policy, member.id, start, as_of)
        rank = [t.code for t in tiers].index(current)
        above = tiers[rank + 1] if rank + 1 < len(tiers) else None
        return TierProgress(member_id=member.public_id, tier_code=current, qualifying_points=points,
                            window_start=start, next_tier=above.code if above else None,
                            needed=max(0, above.threshold - points) if above else None, by=by,
                            measure=policy.measure, to_keep=max(0, tiers[rank].threshold - points) if rank else None,
                            grace_until=state.grace_until if state else None)


@dataclass(frozen=True)
class UpgradeCheck:
    """What an accrual asks, with the member's facts (one statement: ``engine.rules.calculator``),
    to raise the member's tier at once: the qualifying points or spend of the window up to the
    accrual, before its own points are posted. In spend, the sale's own payment is counted by
    the statement already (spend less refunds is floored at zero, so it cannot be added
    afterwards); in points, :func:`upgrade_on_accrual` adds the sale's points."""

    policy: TierPolicy
    start: datetime
    end: datetime
    counted: bool  # the sale lies in the window (a till's offline sale may predate it)
    highest: str  # the highest tier's code

    def rows(self, member: str = ":member_pk", tier: str | None = None) -> sa.Select:
        """The facts row ``("qualifying", NULL, NULL, NULL, value)`` of the member ``member``
        (SQL: the parameter, or a column of the statement it is part of), with the
        parameters of :meth:`parameters`; with ``tier`` (SQL: the member's tier code, a
        column), no row for a member in the highest tier."""
        return _qualifying_row(self.policy.measure, member, tier)

    def parameters(self, basket) -> dict:
        paid = basket.total_minor - basket.paid_with_points_minor if self.counted else 0
        return {"q_start": self.start, "q_end": self.end, "q_sale_paid": paid, "q_highest": self.highest}


def upgrade_check(session: Session, member: MemberRow | None, sold_at: datetime,
                  now: datetime) -> UpgradeCheck | None:
    """The check an accrual sold at ``sold_at`` and posted at ``now`` asks for, or None when no
    upgrade can follow (no tiers, or the member is in the highest one: the window's sum could
    not change anything). Without ``member``: the check for any member, before it is known
    who buys (the same check as the member's unless they are in the highest tier)."""
    policy = _policy(session)
    if policy is None:
        return None
    highest = _tiers(session)[-1].code
    if member is not None and member.tier_code == highest:
        return None
    start = window_start(policy, now, _zone(session))
    return UpgradeCheck(policy, start, now, counted=start <= sold_at <= now, highest=highest)


def upgrade_on_accrual(session: Session, member: MemberRow, now: datetime, *, check: UpgradeCheck | None = None,
                       so_far: int | None = None, points: int = 0) -> None:
    """Raise the member's tier at once if the window up to ``now`` qualifies for a higher
    one (the accrual's transaction; the caller holds the member's account lock, and has
    posted the accrual's ``points``). With the ``check`` the accrual asked and the value it
    read (``so_far``), no statement is sent unless the tier changes; else the window's sum
    is read now."""
    policy = _policy(session)
    if policy is None:
        return
    tiers = _tiers(session)
    codes = [t.code for t in tiers]
    if member.tier_code == codes[-1]:
        return  # nothing higher to reach: the window's sum could not change anything (see below)
    zone = _zone(session)
    if check is not None and so_far is not None:
        # read under the account lock, before this accrual's posting: its points are added here
        points = so_far + (points if check.policy.measure == "points" and check.counted else 0)
    else:
        points = _qualifying(session, policy, member.id, window_start(policy, now, zone), now)
    reached = qualified_rank([t.threshold for t in tiers], points)
    # members.tier_code mirrors member_tiers (every change writes both), so the tier state is
    # read only when an upgrade looks due. The member row may predate a review that committed
    # while this accrual waited for the account lock: an upgrade is checked against the state
    # read now, and an upgrade that such a row hides (a review lowered the tier meanwhile)
    # waits for the member's next accrual.
    if member.tier_code is not None and reached <= codes.index(member.tier_code):
        return
    reason, note = "upgrade" if reached > 0 else "enrolment", f"{points} {QUALIFYING_WORDS[policy.measure]}"
    if is_postgres(session) and session.identity_map.get(session.identity_key(MemberTierRow, member.id)) is None:
        _raise_in_one_statement(session, member, tiers, reached, reason=reason, note=note, now=now,
                                keep_review=policy.review == "calendar",
                                next_review_at=next_review(policy, now, zone, since=now))
        return
    state = session.get(MemberTierRow, member.id)
    if state is not None and reached <= codes.index(state.tier_code):
        return
    # a calendar review keeps its date, unless it is past (its run not yet come: the scheduler
    # was down, or it is 1 January before the job): that review, of the year before, would take
    # away what this year's points just gave
    _change(session, member, state, tiers[reached].code, reason=reason, note=note, now=now,
            review_due_at=state.review_due_at if state and policy.review == "calendar" and state.review_due_at > now
            else next_review(policy, now, zone, since=now))


def _raise_in_one_statement(session: Session, member: MemberRow, tiers: list[TierDefinition], reached: int, *,
                            reason: str, note: str, now: datetime, keep_review: bool,
                            next_review_at: datetime) -> None:
    """What ``_change`` does for an accrual's upgrade, on PostgreSQL in one statement through
    the driver: the member's tier state read, and unless it is already at ``reached`` or
    above, the change, the state, the member's mirror and the member's message written
    (the ORM's five round trips and two flushes cost about 2.2 ms of the app's CPU, near as
    much as the rest of the accrual)."""
    code = tiers[reached].code
    found = postgresql_row(session, _RAISE, {
        "member": member.id, "code": code, "at_or_above": [t.code for t in tiers[reached:]], "reason": reason,
        "note": note, "now": now, "keep_review": keep_review, "next_review": next_review_at,
        "tell": reason != "enrolment", "name": tiers[reached].name, "at_text": _utc_text(now)})
    if found is None:
        return  # a review raised the member meanwhile: their state is at or above
    set_committed_value(member, "tier_code", code)
    if reason != "enrolment":
        _record_tier_event(session, member, change_id=found.id, from_code=found.from_code, to_code=code,
                           direction="up", reason=reason, now=now)


# ``_change`` for a raise, as one statement; the message's payload has the keys of
# ``_change``'s (a raise is always ``up``: the state was below ``reached`` or absent).
_RAISE = sa.text("""
WITH state AS (
    SELECT tier_code, review_due_at FROM member_tiers WHERE member_id = :member
), due AS (
    SELECT 1 AS due WHERE NOT EXISTS (SELECT 1 FROM state WHERE tier_code = ANY(:at_or_above))
), changed AS (
    INSERT INTO tier_changes (member_id, from_code, to_code, reason, note, at)
    SELECT :member, (SELECT tier_code FROM state), :code, :reason, :note, :now FROM due
    RETURNING id, from_code
), kept AS (
    INSERT INTO member_tiers (member_id, tier_code, since, review_due_at, grace_until)
    SELECT :member, :code, :now,
           COALESCE(CASE WHEN :keep_review THEN (SELECT review_due_at FROM state WHERE review_due_at > :now) END,
                    :next_review), NULL
    FROM due
    ON CONFLICT (member_id) DO UPDATE SET tier_code = EXCLUDED.tier_code, since = EXCLUDED.since,
        review_due_at = EXCLUDED.review_due_at, grace_until = NULL
), mirrored AS (
    UPDATE members SET tier_code = :code FROM due WHERE members.id = :member
), told AS (
    INSERT INTO outbox_messages (kind, member_id, dedupe_key, payload, created_at)
    SELECT 'tier_changed', :member, 'tier_changed:' || changed.id,
           CAST(json_build_object('from_tier', changed.from_code, 'to_tier', CAST(:code AS TEXT),
                                  'to_name', CAST(:name AS TEXT), 'direction', 'up',
                                  'at', CAST(:at_text AS TEXT)) AS TEXT),
           :now
    FROM changed WHERE :tell
)
SELECT id, from_code FROM changed""")


def review_tiers(db: Database, *, as_of: datetime, progress: Callable[[int, int], None] | None = None) -> dict:
    """Review every member whose review is due at ``as_of`` (members without a tier start
    in the lowest one, reviewed at their first review date)."""
    with db.transaction() as session:
        policy = _policy(session)
        if policy is None:
            return {"members": 0, "changed": 0}
        zone = _zone(session)
        enrolled = _enrol_untiered(session, policy, zone, as_of)
        dues = list(session.scalars(sa.select(MemberTierRow.review_due_at).distinct()
                                    .where(MemberTierRow.review_due_at <= as_of)
                                    .order_by(MemberTierRow.review_due_at)))
    reviewed = changed = 0
    for done, due in enumerate(dues, start=1):
        with db.transaction() as session:
            r, c = _review_group(session, policy, zone, due)
        reviewed, changed = reviewed + r, changed + c
        if progress is not None:
            progress(done, len(dues))
    return {"members": reviewed, "changed": changed, "enrolled": enrolled}


def _enrol_untiered(session: Session, policy: TierPolicy, zone: ZoneInfo, as_of: datetime) -> int:
    """Members without a tier get the lowest one; calendar reviews fall on the next 1
    January after ``as_of``; anniversary reviews 12 months after ``as_of``."""
    lowest = session.scalar(sa.select(TierRow.code).where(TierRow.rank == 0))
    due = next_review(policy, as_of, zone, since=as_of)
    params = {"code": lowest}
    binds = (sa.bindparam("as_of", as_of, type_=UTCDateTime()), sa.bindparam("due", due, type_=UTCDateTime()))
    untiered = "SELECT m.id FROM members m WHERE NOT EXISTS (SELECT 1 FROM member_tiers t WHERE t.member_id = m.id)"
    session.execute(sa.text(
        "INSERT INTO tier_changes (member_id, from_code, to_code, reason, at) "
        f"SELECT m.id, NULL, :code, 'enrolment', :as_of FROM members m WHERE m.id IN ({untiered})")
        .bindparams(*binds[:1]), params)
    count = session.execute(sa.text(
        "INSERT INTO member_tiers (member_id, tier_code, since, review_due_at) "
        f"SELECT m.id, :code, :as_of, :due FROM members m WHERE m.id IN ({untiered})").bindparams(*binds),
        params).rowcount
    session.execute(sa.text("UPDATE members SET tier_code = :code WHERE tier_code IS NULL"), params)
    return count


def _review_group(session: Session, policy: TierPolicy, zone: ZoneInfo, due: datetime) -> tuple[int, int]:
    """Review the members due at ``due``: one window, one set of statements."""
    start = window_start(policy, due, zone)
    regular = next_review(policy, due, zone, since=due)
    grace_end = None
    if policy.grace_months:
        local = due.astimezone(zone)
        grace_end = datetime.combine(add_months(local.date(), policy.grace_months), local.timetz())
    binds = [sa.bindparam(name, value, type_=UTCDateTime())
             for name, value in (("due", due), ("start", start), ("regular", regular))]
    bulk.lock_accounts(session, "SELECT member_id FROM member_tiers WHERE review_due_at = :due", {"due": due})
    bulk.work_table(session, "tier_review", "member_id BIGINT, cur INTEGER, q INTEGER, in_grace INTEGER, "
                                            "new_rank INTEGER, starts_grace INTEGER, points BIGINT")
    qualifying = (_spend_sql if policy.measure == "spend" else _points_sql)("mt.member_id", end=":due",
                                                                             inclusive=False)
    session.execute(sa.text(
        "INSERT INTO tier_review (member_id, cur, in_grace, points) "
        f"SELECT mt.member_id, t.rank, CASE WHEN mt.grace_until IS NULL THEN 0 ELSE 1 END, {qualifying} "
        "FROM member_tiers mt JOIN tiers t ON t.code = mt.tier_code WHERE mt.review_due_at = :due")
        .bindparams(*binds[:2]))
    bulk.analyze(session, "tier_review")
    # policy.review_outcome, in SQL
    session.execute(sa.text(
        "UPDATE tier_review SET q = (SELECT MAX(t.rank) FROM tiers t WHERE t.threshold <= tier_review.points)"))
    grace = 1 if policy.grace_months else 0
    session.execute(sa.text(
        "UPDATE tier_review SET "
        f"starts_grace = CASE WHEN q >= cur THEN 0 WHEN {grace} = 1 AND in_grace = 0 THEN 1 ELSE 0 END, "
        f"new_rank = CASE WHEN q >= cur THEN q WHEN {grace} = 1 AND in_grace = 0 THEN cur "
        "WHEN q > cur - 1 THEN q ELSE cur - 1 END"))
    changes = session.execute(sa.text(
        "INSERT INTO tier_changes (member_id, from_code, to_code, reason, note, at) "
        "SELECT r.member_id, a.code, b.code, 'review', "
        f"CAST(r.points AS TEXT) || ' {QUALIFYING_WORDS[policy.measure]}', :due "
        "FROM tier_review r JOIN tiers a ON a.rank = r.cur JOIN tiers b ON b.rank = r.new_rank "
        "WHERE r.new_rank <> r.cur").bindparams(binds[0])).rowcount
    session.execute(sa.text(
        "INSERT INTO outbox_messages (kind, member_id, dedupe_key, payload, created_at) "
        "SELECT 'tier_changed', c.member_id, 'tier_changed:' || CAST(c.id AS TEXT), "
        f"CAST({json_object(session)}('from_tier', a.code, 'to_tier', b.code, 'to_name', b.name, 'direction', "
        f"CASE WHEN b.rank > a.rank THEN 'up' ELSE 'down' END, 'at', {utc_text(session, 'c.at')} || 'Z') AS TEXT), "
        ":due FROM tier_review r JOIN tier_changes c ON c.member_id = r.member_id AND c.at = :due "
        "AND c.reason = 'review' JOIN tiers a ON a.code = c.from_code JOIN tiers b ON b.code = c.to_code "
        "WHERE r.new_rank <> r.cur").bindparams(binds[0]))
    record_events_selected(
        session, "tier.changed", event_id=f"'{_TIER_EVENT_PREFIX}' || CAST(c.id AS TEXT)",
        data=f"{json_object(session)}('member_id', m.public_id, 'from_tier', a.code, 'to_tier', b.code, "
             f"'direction', CASE WHEN b.rank > a.rank THEN 'up' ELSE 'down' END, 'reason', 'review', "
             f"'at', {utc_text(session, 'c.at')} || 'Z')",
        rows="FROM tier_review r JOIN tier_changes c ON c.member_id = r.member_id AND c.at = :due "
             "AND c.reason = 'review' JOIN members m ON m.id = c.member_id JOIN tiers a ON a.code = c.from_code "
             "JOIN tiers b ON b.code = c.to_code WHERE r.new_rank <> r.cur", binds=binds[:1], now=due)
    session.execute(sa.text(
        "INSERT INTO tier_changes (member_id, from_code, to_code, reason, note, at) "
        "SELECT r.member_id, a.code, a.code, 'grace', 'grace period starts', :due "
        "FROM tier_review r JOIN tiers a ON a.rank = r.cur WHERE r.starts_grace = 1").bindparams(binds[0]))
    if grace_end is not None:
        session.execute(sa.text(
            "INSERT INTO outbox_messages (kind, member_id, dedupe_key, payload, created_at) "
            "SELECT 'tier_grace', c.member_id, 'tier_grace:' || CAST(c.id AS TEXT), "
            f"CAST({json_object(session)}('tier', a.code, 'tier_name', a.name, "
            "'kept_until', CAST(:grace_text AS TEXT)) AS TEXT), "
            ":due FROM tier_review r JOIN tier_changes c ON c.member_id = r.member_id AND c.at = :due "
            "AND c.reason = 'grace' JOIN tiers a ON a.code = c.to_code WHERE r.starts_grace = 1")
            .bindparams(binds[0]), {"grace_text": _utc_text(grace_end)})
    session.execute(sa.text(
        "UPDATE member_tiers SET tier_code = b.code, "
        "since = CASE WHEN r.new_rank <> r.cur THEN :due ELSE member_tiers.since END, "
        "grace_until = CASE WHEN r.starts_grace = 1 THEN :grace_end ELSE NULL END, "
        "review_due_at = CASE WHEN r.starts_grace = 1 THEN :grace_end ELSE :regular END "
        "FROM tier_review r JOIN tiers b ON b.rank = r.new_rank WHERE member_tiers.member_id = r.member_id")
        .bindparams(binds[0], binds[2], sa.bindparam("grace_end", grace_end, type_=UTCDateTime())))
    session.execute(sa.text(
        "UPDATE members SET tier_code = b.code FROM tier_review r JOIN tiers b ON b.rank = r.new_rank "
        "WHERE members.id = r.member_id AND r.new_rank <> r.cur"))
    reviewed = session.scalar(sa.text("SELECT COUNT(*) FROM tier_review"))
    return int(reviewed), int(changes)


def _change(session: Session, member: MemberRow, state: MemberTierRow | None, code: str, *, reason: str,
            note: str | None, now: datetime, review_due_at: datetime) -> None:
    change = TierChangeRow(member_id=member.id, from_code=state.tier_code if state else None, to_code=code,
                           reason=reason, note=note, at=now)
    session.add(change)
    if state is None:
        state = MemberTierRow(member_id=member.id)
        session.add(state)
    state.tier_code, state.since, state.review_due_at, state.grace_until = code, now, review_due_at, None
    member.tier_code = code
    session.flush()
    if reason != "enrolment" and change.from_code != code:
        tiers = _tiers(session)
        rank = {tier.code: n for n, tier in enumerate(tiers)} | {None: -1}  # lowest first; None: no tier yet
        direction = "up" if rank[code] > rank[change.from_code] else "down"
        write_message(session, kind="tier_changed", member_pk=member.id, now=now, dedupe_key=f"tier_changed:{change.id}",
                      payload={"from_tier": change.from_code, "to_tier": code, "to_name": tiers[rank[code]].name,
                               "direction": direction, "at": _utc_text(now)})
        _record_tier_event(session, member, change_id=change.id, from_code=change.from_code, to_code=code,
                           direction=direction, reason=reason, now=now)
        session.flush()


def _record_tier_event(session: Session, member: MemberRow, *, change_id: int, from_code: str | None, to_code: str,
                       direction: str, reason: str, now: datetime) -> None:
    """The ``tier.changed`` webhook event of one change, named by it (nothing without an
    endpoint taking it)."""
    record_events(session, "tier.changed", [{
        "member_id": member.public_id, "from_tier": from_code, "to_tier": to_code, "direction": direction,
        "reason": reason, "at": _utc_text(now)}], event_ids=[f"{_TIER_EVENT_PREFIX}{change_id}"], now=now)


_TIER_EVENT_PREFIX = "evt_tier_"  # a tier.changed event is named by its tier change


def _utc_text(instant: datetime) -> str:
    """An instant as the messages carry it, in UTC to the second (as ``utc_text`` in SQL, with its Z)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _qualifying(session: Session, policy: TierPolicy, member_pk: int, start: datetime, end: datetime) -> int:
    """The member's qualifying points or spend (by ``policy.measure``) from ``start`` to ``end``."""
    statement, params = _QUALIFYING[policy.measure], {"member": member_pk, "start": start, "end": end}
    if is_postgres(session):  # every accrual asks: straight through the driver
        return int(postgresql_row(session, statement, params).qualifying)
    return int(session.execute(statement, params).scalar())


def _spend_sql(member: str, *, end: str, inclusive: bool, start: str = ":start", sale_paid: str = "") -> str:
    """SQL for the qualifying spend of ``member`` (an SQL expression) from ``start`` to
    ``end``: paid for purchases (not with points), less refunds, never below zero;
    ``sale_paid``: what a sale not yet written adds to the purchases (an SQL expression)."""
    until = "<=" if inclusive else "<"
    paid = (f"COALESCE((SELECT SUM(r.total_minor - r.paid_with_points_minor) FROM receipts r WHERE r.member_id = "
            f"{member} AND r.occurred_at >= {start} AND r.occurred_at {until} {end}), 0)"
            + (f" + {sale_paid}" if sale_paid else ""))
    returned = (f"COALESCE((SELECT SUM(f.amount_minor) FROM refunds f JOIN receipts r ON r.id = f.receipt_id "
                f"WHERE r.member_id = {member} AND f.occurred_at >= {start} AND f.occurred_at {until} {end}), 0)")
    return _floored(f"{paid} - {returned}")


def _points_sql(member: str, *, end: str, inclusive: bool, start: str = ":start") -> str:
    """SQL for the qualifying points of ``member`` (an SQL expression) from ``start`` to
    ``end``: earned by purchases, less what refunds in the window reversed of what purchases
    earned (their issuance entry), never below zero. (Not a refund's net posting: the points
    it gives back, which had paid for the purchase, were never earned.) One pass over the
    member's postings, as before refunds were told apart; a refund's entries are read only
    for the refunds themselves."""
    until = "<=" if inclusive else "<"
    reversed_ = ("(SELECT SUM(e.amount) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id "
                 "WHERE e.transaction_id = x.id AND a.kind = 'issuance')")
    return _floored(
        f"COALESCE((SELECT SUM(CASE WHEN x.kind = 'earn' THEN x.points ELSE -{reversed_} END) "
        f"FROM ledger_transactions x WHERE x.member_id = {member} AND x.kind IN ('earn', 'refund') "
        f"AND x.occurred_at >= {start} AND x.occurred_at {until} {end}), 0)")


def _floored(difference: str) -> str:
    """SQL for ``difference`` (an SQL expression), or 0 when it is below zero; computed once
    (a CASE naming it twice would run its subqueries twice)."""
    return f"(SELECT CASE WHEN d > 0 THEN d ELSE 0 END FROM (SELECT {difference} AS d) floored)"


# One statement per measure for both databases; the instants' type turns them into the
# naive UTC text SQLite compares (the driver, on PostgreSQL, takes them as they are).
_QUALIFYING = {measure: statement.bindparams(sa.bindparam("start", type_=UTCDateTime()),
                                             sa.bindparam("end", type_=UTCDateTime()))
               for measure, statement in {
    "points": sa.text(f"SELECT {_points_sql(':member', end=':end', inclusive=True)} AS qualifying"),
    "spend": sa.text(f"SELECT {_spend_sql(':member', end=':end', inclusive=True)} AS qualifying"),
}.items()}


@functools.cache
def _qualifying_row(measure: str, member: str, tier: str | None) -> sa.Select:
    """An accrual's UpgradeCheck, as a row of its member facts (the same sums as _QUALIFYING)."""
    expression = _points_sql(member, start=":q_start", end=":q_end", inclusive=True) if measure == "points" \
        else _spend_sql(member, start=":q_start", end=":q_end", inclusive=True, sale_paid=":q_sale_paid")
    value = sa.text(f"CAST({expression} AS BIGINT)").bindparams(sa.bindparam("q_start", type_=UTCDateTime()),
                                                                sa.bindparam("q_end", type_=UTCDateTime()))
    row = sa.select(sa.literal("qualifying"), sa.null(), sa.null(), sa.null(), value)
    # (read before it is known who buys: a member in the highest tier has nothing to reach)
    return row if tier is None else row.where(sa.text(f"{tier} IS DISTINCT FROM :q_highest"))


def _tiers(session: Session) -> list[TierDefinition]:
    return list(programme(session).tiers)


def _policy(session: Session) -> TierPolicy | None:
    return programme(session).tier_policy


def _need_policy(session: Session) -> TierPolicy:
    policy = _policy(session)
    if policy is None:
        raise InvalidState("no tiers are defined yet", code="no_tiers")
    return policy


def _zone(session: Session) -> ZoneInfo:
    return ZoneInfo(read_settings(session).timezone)


def _member(session: Session, member_id: str) -> MemberRow:
    member = session.scalar(sa.select(MemberRow).where(MemberRow.public_id == member_id))
    if member is None:
        raise not_found("member", member_id)
    return member


def _lock(session: Session, member_pk: int) -> None:
    lock_member_account(session, member_pk)


def _member_tier(member: MemberRow, state: MemberTierRow) -> MemberTier:
    return MemberTier(member.public_id, state.tier_code, state.since, state.review_due_at, state.grace_until)
