"""The scheduled jobs, each a function ``(db, as_of, progress) -> summary``.

Guarantees: every job is idempotent for its ``as_of`` (a second run finds nothing left
to do), works in set-based SQL (never a Python loop per member; the audit chain's hashes
are computed in Python, a batch of entries per statement), and leaves the ledger
invariants intact. Policies are defined once, as plain functions the tests compare the
SQL with: ``expiry.expiring_points``, ``birthday_due``, ``expiry_warning_due``,
``customer_value.customer_scores`` and ``lifecycle_stage``.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from engine.database import Database, is_postgres, json_object, utc_text
from engine.access.rate_buckets import purge_rate_buckets
from engine.access.sign_in_throttles import purge_sign_in_throttles
from engine.access.tokens import purge_tokens
from engine.audit_chain import seal_audit, verify_audit_chain
from engine.card_auth import purge_card_challenges
from engine.ledger import bulk
from engine.ledger.closed_months import CLOSE_AFTER, close_months
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import release_lapsed_holds
from engine.ledger.idempotency import purge_idempotency_keys
from engine.ledger.inactivity import refresh_inactivity_deadlines
from engine.payment_codes import purge_payment_codes
from engine.member_closure import UNCONFIRMED_SIGN_UP_DAYS, close_unconfirmed_sign_ups
from engine.member_import_requests import purge_import_answers
from engine.orm.types import UTCDateTime
from engine.points_grants import finish_grants
from engine.programme import lot_expires_at
from engine.rules.customer_value import score_customers
from engine.settings import read_settings
from engine.tiers.service import review_tiers
from engine.webhooks import KEEP_DAYS, purge_deliveries

Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[Database, datetime, Progress], dict]


def birthday_due(birthday: date | None, on: date) -> bool:
    """The policy: whether a member born on ``birthday`` celebrates on ``on`` (someone
    born on 29 February celebrates on 28 February in other years)."""
    if birthday is None:
        return False
    if (birthday.month, birthday.day) == (on.month, on.day):
        return True
    return (birthday.month, birthday.day) == (2, 29) and (on.month, on.day) == (2, 28) \
        and not calendar.isleap(on.year)


def expiry_warning_due(expires_at: datetime | None, as_of: datetime, days: int) -> bool:
    """The policy: whether points expiring at ``expires_at`` are announced at ``as_of``."""
    return expires_at is not None and as_of < expires_at <= as_of + timedelta(days=days)


def _close_months(db: Database, as_of: datetime, progress: Progress) -> dict:
    run = close_months(db, as_of=as_of)
    return {"months": run.months, "through": run.through}


def _expire(db: Database, as_of: datetime, progress: Progress) -> dict:
    moved = refresh_inactivity_deadlines(db, as_of=as_of)  # first: activity moves the deadlines it sees
    run = expire_lots(db, as_of=as_of, progress=progress)
    return {"members": run.members, "lots": run.lots, "points": run.points} | (
        {"deadlines_moved": moved} if moved else {})


def _release_holds(db: Database, as_of: datetime, progress: Progress) -> dict:
    return {"holds": release_lapsed_holds(db, as_of=as_of)}


def _tier_review(db: Database, as_of: datetime, progress: Progress) -> dict:
    return review_tiers(db, as_of=as_of, progress=progress)


def _unconfirmed_sign_ups(db: Database, as_of: datetime, progress: Progress) -> dict:
    return {"members": close_unconfirmed_sign_ups(db, as_of=as_of)}


def _customer_value(db: Database, as_of: datetime, progress: Progress) -> dict:
    return score_customers(db, as_of=as_of)


def _grants(db: Database, as_of: datetime, progress: Progress) -> dict:
    return finish_grants(db, now=as_of, progress=progress)


def _seal_audit(db: Database, as_of: datetime, progress: Progress) -> dict:
    sealed = seal_audit(db, before=as_of)
    report = verify_audit_chain(db)
    return {"sealed": sealed, "chain": report.sealed, "head": report.head, "broken_at": report.broken_at,
            "problem": report.problem}


def _purge_keys(db: Database, as_of: datetime, progress: Progress) -> dict:
    return {"keys": purge_idempotency_keys(db, as_of=as_of), "tokens": purge_tokens(db, as_of=as_of),
            "card_challenges": purge_card_challenges(db, as_of=as_of),
            "rate_buckets": purge_rate_buckets(db, as_of=as_of), "import_ids": purge_import_answers(db, as_of=as_of),
            "webhook_deliveries": purge_deliveries(db, as_of=as_of),
            "payment_codes": purge_payment_codes(db, as_of=as_of),
            "sign_in_throttles": purge_sign_in_throttles(db, as_of=as_of)}


def _expiry_warnings(db: Database, as_of: datetime, progress: Progress) -> dict:
    """One outbox message per member and expiry instant within the warning window
    (unreserved points of available-or-pending lots), and one per unused voucher whose end
    is within it; the dedupe keys make each once."""
    with db.transaction() as session:
        when = sa.bindparam("as_of", as_of, type_=UTCDateTime())
        until = sa.bindparam("until", as_of + timedelta(days=read_settings(session).expiry_warning_days),
                             type_=UTCDateTime())
        stamp = utc_text(session, "l.expires_at")
        key = f"'expiry_warning:' || CAST(l.member_id AS TEXT) || ':' || {stamp}"
        payload = (f"'{{\"points\": ' || CAST(SUM(l.remaining - l.reserved) AS TEXT) || "
                   f"', \"expires_at\": \"' || {stamp} || 'Z\"}}'")
        result = session.execute(sa.text(
            "INSERT INTO outbox_messages (kind, member_id, dedupe_key, payload, created_at) "
            f"SELECT 'expiry_warning', l.member_id, {key}, {payload}, :as_of FROM lots l "
            "WHERE l.expires_at > :as_of AND l.expires_at <= :until AND l.remaining > l.reserved "
            f"AND NOT EXISTS (SELECT 1 FROM outbox_messages o WHERE o.dedupe_key = {key}) "
            f"GROUP BY l.member_id, l.expires_at").bindparams(when, until))
        vouchers = session.execute(sa.text(
            "INSERT INTO outbox_messages (kind, member_id, dedupe_key, payload, created_at) "
            "SELECT 'voucher_expiry_warning', v.member_id, 'voucher_expiry_warning:' || v.code, "
            f"CAST({json_object(session)}('voucher_code', v.code, 'reward_code', r.code, 'reward', r.name, "
            f"'expires_at', {utc_text(session, 'v.expires_at')} || 'Z') AS TEXT), :as_of "
            "FROM vouchers v JOIN rewards r ON r.id = v.reward_id JOIN members m ON m.id = v.member_id "
            "WHERE v.status = 'issued' AND v.expires_at > :as_of AND v.expires_at <= :until "
            "AND m.status <> 'closed' AND NOT EXISTS (SELECT 1 FROM outbox_messages o "
            "WHERE o.dedupe_key = 'voucher_expiry_warning:' || v.code)").bindparams(when, until))
        return {"messages": result.rowcount, "vouchers": vouchers.rowcount}


def _birthday_bonus(db: Database, as_of: datetime, progress: Progress) -> dict:
    """The programme's ``birthday_bonus_points`` for every active member whose birthday is the programme-local
    date of ``as_of`` and who has not had this year's bonus: an ``adjust`` transaction
    from the adjustment account and a lot (that first pays any debt)."""
    with db.transaction() as session:
        bulk.prepare(session)
        settings = read_settings(session)
        if settings.birthday_bonus_points == 0:
            return {"members": 0, "points": 0}
        today = as_of.astimezone(ZoneInfo(settings.timezone)).date()
        days = [today.strftime("%m-%d")] + (["02-29"] if (today.month, today.day) == (2, 28)
                                             and not calendar.isleap(today.year) else [])
        month_day = "to_char(p.birthday, 'MM-DD')" if is_postgres(session) else "strftime('%m-%d', p.birthday)"
        eligible = (f"SELECT m.id FROM members m JOIN member_profiles p ON p.member_id = m.id "
                    # a member who joined after the day (a catch-up of days missed) had no birthday with us then
                    "WHERE m.status = 'active' AND m.enrolled_at <= :as_of "
                    f"AND {month_day} IN ({', '.join(repr(d) for d in days)}) AND NOT EXISTS "
                    "(SELECT 1 FROM birthday_bonuses b WHERE b.member_id = m.id AND b.year = :year)")
        params = {"year": today.year, "as_of": as_of}
        bulk.lock_accounts(session, eligible, params)
        bulk.work_table(session, "bonus_members", "member_id BIGINT, account_id BIGINT, points BIGINT, "
                                                  "transaction_id BIGINT")
        session.execute(sa.text(
            "INSERT INTO bonus_members (member_id, account_id, points) "
            f"SELECT a.member_id, a.id, :points FROM accounts a WHERE a.member_id IN ({eligible})")
            .bindparams(sa.bindparam("as_of", type_=UTCDateTime())),  # stored as the column stores it
            params | {"points": settings.birthday_bonus_points})
        count = session.scalar(sa.text("SELECT COUNT(*) FROM bonus_members"))
        if not count:
            return {"members": 0, "points": 0}
        bulk.credit_members(session, work="bonus_members", at=as_of, expires_at=lot_expires_at(as_of, settings),
                            description="birthday bonus", reason="birthday_bonus")
        session.execute(sa.text(
            "INSERT INTO birthday_bonuses (member_id, year, transaction_id, points) "
            "SELECT member_id, :year, transaction_id, points FROM bonus_members"), {"year": today.year})
        return {"members": int(count), "points": int(count) * settings.birthday_bonus_points}


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("release_holds", "expire till holds past their deadline and free their points", _release_holds),
    Job("expire", "post the unreserved points of due lots to the expiry account", _expire),
    Job("expiry_warnings", "outbox messages for points and vouchers expiring within the programme's "
                           "expiry_warning_days",
        _expiry_warnings),
    Job("birthday_bonus", "birthday_bonus_points on a member's birthday, once a year", _birthday_bonus),
    Job("grants", "finish crediting the approved points grants a stopped process left", _grants),
    Job("tier_review", "review the tiers of members whose review is due (down at most one step)", _tier_review),
    Job("customer_value", "RFM scores and value classes A-D of the members who bought in the last year, and "
                          "every open member's lifecycle stage, as member attributes", _customer_value),
    Job("unconfirmed_sign_ups", f"close the online sign-ups whose address was never confirmed, "
                                f"{UNCONFIRMED_SIGN_UP_DAYS} days after they joined, erasing what they gave",
        _unconfirmed_sign_ups),
    Job("close_months", f"sum each month's postings once it is over (by {CLOSE_AFTER.days} day), for the "
                        "liability statement", _close_months),
    Job("seal_audit", "seal the day's audit log entries into the hash chain and verify the whole chain "
                      "(broken_at names the first entry changed, removed or slipped in)", _seal_audit),
    Job("purge_keys", "forget idempotency keys past the programme's retention, and expired sign-in "
                      "tokens, card sessions and card challenges, idle sign-in rate buckets, the new ids "
                      f"of old member imports, webhook deliveries sent or failed over {KEEP_DAYS} days ago, and "
                      "payment codes ended over 30 days ago",
        _purge_keys),
)}
