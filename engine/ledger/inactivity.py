"""Expiry after inactivity: under the ``after_inactivity`` policy all of a member's points
expire ``expiry_months`` after their last activity, a purchase that earned (``earn``) or
points spent (``capture``: a payment at the till, a reward); bonuses, grants and staff
adjustments are not the member's activity. Without any, the enrolment counts.

Guarantees: :func:`refresh_inactivity_deadlines` gives every open lot earned by ``as_of`` its
member's deadline as of ``as_of`` (activity after ``as_of`` is not seen, so a catch-up of
missed days gives what daily runs give); the expiry job runs it before expiring, so that no
lot expires on a deadline the member's activity has since moved. Between two runs a lot
earned since shows its own deadline (counted from its earning, itself activity), and the
member's older lots the deadline of the last run: earlier, never later, than the true one.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engine.database import Database
from engine.orm.ledger import LedgerTransactionRow, LotRow
from engine.orm.members import MemberRow
from engine.programme import inactivity_deadline
from engine.settings import read_settings

ACTIVITY_KINDS = ("earn", "capture")
CHUNK = 5_000  # members' lots updated per statement batch


def refresh_inactivity_deadlines(db: Database, *, as_of: datetime) -> int:
    """Under the ``after_inactivity`` policy, move each open lot earned by ``as_of`` to its
    member's inactivity deadline as of ``as_of``; how many members' lots moved (0 under
    another policy)."""
    with db.transaction() as session:
        settings = read_settings(session)
        if settings.expiry_policy != "after_inactivity":
            return 0
        last_activity = (sa.select(sa.func.max(LedgerTransactionRow.occurred_at))
                         .where(LedgerTransactionRow.member_id == MemberRow.id,
                                LedgerTransactionRow.kind.in_(ACTIVITY_KINDS),
                                LedgerTransactionRow.occurred_at <= as_of)
                         .scalar_subquery())
        open_lots = sa.select(LotRow.member_id).where(LotRow.remaining > 0, LotRow.earned_at <= as_of)
        members = session.execute(sa.select(MemberRow.id, sa.func.coalesce(last_activity, MemberRow.enrolled_at))
                                  .where(MemberRow.id.in_(open_lots)).order_by(MemberRow.id)).all()
    moved = 0
    for start in range(0, len(members), CHUNK):
        with db.transaction() as session:
            for member_id, last in members[start:start + CHUNK]:
                deadline = inactivity_deadline(last, settings)
                moved += session.execute(sa.update(LotRow).where(
                    LotRow.member_id == member_id, LotRow.remaining > 0, LotRow.earned_at <= as_of,
                    sa.or_(LotRow.expires_at.is_(None), LotRow.expires_at != deadline))
                    .values(expires_at=deadline)).rowcount > 0
    return moved
