"""Customer value and lifecycle: RFM scores, value classes A–D and lifecycle stages, kept as
member attributes.

Every member who bought in the year before ``as_of`` gets four attributes (purchases as
:mod:`engine.ledger.purchases` counts them: less what was refunded by ``as_of``, and none
for a receipt refunded in full), which rule conditions and predicate segments
read like any other (an analytic segment is then a predicate on them, e.g. value class A
and recency 4 or 5):

- ``rfm_recency``, ``rfm_frequency``, ``rfm_monetary``: quintile scores from 1 to 5 (5: the
  most recent last purchase, the most purchases, the most spent). Members are ranked by
  the measure, then by member id, and cut into five groups as even as whole members allow,
  the first groups one member larger (SQL's ``NTILE(5)``);
- ``value_class``: an ABC analysis of spend. Ranked by spend (most first, then member id),
  a member is ``A`` while the spend of those ranked before them is under 50 % of everyone's,
  ``B`` under 80 %, ``C`` under 95 %, and ``D`` after that.

Members who did not buy in the year lose these attributes. Every member whose account is
open also gets ``lifecycle_stage``, the first of these that holds (purchases of all time up
to ``as_of``; the settings ``lapsed_after_days`` and ``loyal_purchases_per_year``):

- ``new``: no purchase yet;
- ``lapsed``: no purchase in the last ``lapsed_after_days`` (a win-back campaign's target);
- ``advocate``: a member they referred has made the qualifying first purchase;
- ``loyal``: at least ``loyal_purchases_per_year`` purchases in the year;
- ``repeat``: more than one purchase;
- ``first_purchase``: one purchase.

A closed account gets none of them (its attributes were erased when it closed). The job that
writes them is set-based SQL (:func:`score_customers`); :func:`customer_scores` and
:func:`lifecycle_stage` are the same policy in plain Python, which the tests hold the SQL to.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.database import Database
from engine.ledger.purchases import PURCHASES_SQL
from engine.orm.types import UTCDateTime
from engine.settings import read_settings

WINDOW = timedelta(days=365)
ATTRIBUTES = ("rfm_recency", "rfm_frequency", "rfm_monetary", "value_class")  # buyers of the year only
STAGES = ("new", "lapsed", "advocate", "loyal", "repeat", "first_purchase")  # the first that holds
CLASS_LIMITS = ((50, "A"), (80, "B"), (95, "C"))  # per cent of all spend ranked before the member


@dataclass(frozen=True)
class Purchases:
    """One member's buying in the window."""

    member_id: int
    last_at: datetime
    count: int
    spend_minor: int


@dataclass(frozen=True)
class History:
    """One member's buying of all time, as the lifecycle stage reads it."""

    purchases: int
    last_at: datetime | None
    purchases_in_year: int
    referred_a_buyer: bool


def lifecycle_stage(history: History, *, as_of: datetime, lapsed_after_days: int, loyal_purchases: int) -> str:
    """The policy: the member's stage in the customer lifecycle as of ``as_of``."""
    if history.purchases == 0:
        return "new"
    if history.last_at <= as_of - timedelta(days=lapsed_after_days):
        return "lapsed"
    if history.referred_a_buyer:
        return "advocate"
    if history.purchases_in_year >= loyal_purchases:
        return "loyal"
    return "repeat" if history.purchases > 1 else "first_purchase"


def quintiles(ranked: list[int]) -> dict[int, int]:
    """Scores 1–5 for members already in rank order (lowest first), as ``NTILE(5)`` cuts them."""
    size, extra = divmod(len(ranked), 5)
    scores, at = {}, 0
    for score in range(1, 6):
        take = size + (1 if score <= extra else 0)
        for member_id in ranked[at:at + take]:
            scores[member_id] = score
        at += take
    return scores


def customer_scores(buying: list[Purchases]) -> dict[int, dict[str, str]]:
    """The policy: each buying member's four attributes."""
    recency = quintiles([p.member_id for p in sorted(buying, key=lambda p: (p.last_at, p.member_id))])
    frequency = quintiles([p.member_id for p in sorted(buying, key=lambda p: (p.count, p.member_id))])
    monetary = quintiles([p.member_id for p in sorted(buying, key=lambda p: (p.spend_minor, p.member_id))])
    total, before, classes = sum(p.spend_minor for p in buying), 0, {}
    for p in sorted(buying, key=lambda p: (-p.spend_minor, p.member_id)):
        classes[p.member_id] = next((c for share, c in CLASS_LIMITS if before * 100 < share * total), "D")
        before += p.spend_minor
    return {p.member_id: {"rfm_recency": str(recency[p.member_id]), "rfm_frequency": str(frequency[p.member_id]),
                          "rfm_monetary": str(monetary[p.member_id]), "value_class": classes[p.member_id]}
            for p in buying}


_BOUGHT = ("SELECT p.member_id, MAX(p.occurred_at) AS last_at, COUNT(*) AS purchases, SUM(p.spend) AS spend "
           f"FROM ({PURCHASES_SQL}) AS p JOIN members AS m ON m.id = p.member_id AND m.status <> 'closed' "
           "WHERE p.occurred_at > :since GROUP BY p.member_id")
# Only values that differ are written: a member whose scores hold from one night to the next
# costs a read, not a row rewritten. (``WHERE true`` lets SQLite read the ON CONFLICT clause.)
_SCORED = f"""
WITH bought AS ({_BOUGHT}),
scored AS (
    SELECT member_id,
           NTILE(5) OVER (ORDER BY last_at, member_id) AS r,
           NTILE(5) OVER (ORDER BY purchases, member_id) AS f,
           NTILE(5) OVER (ORDER BY spend, member_id) AS m,
           COALESCE(SUM(spend) OVER (ORDER BY spend DESC, member_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
           SUM(spend) OVER () AS total
    FROM bought),
wanted AS (
    SELECT member_id, 'rfm_recency' AS name, CAST(r AS VARCHAR(1)) AS value FROM scored
    UNION ALL SELECT member_id, 'rfm_frequency', CAST(f AS VARCHAR(1)) FROM scored
    UNION ALL SELECT member_id, 'rfm_monetary', CAST(m AS VARCHAR(1)) FROM scored
    UNION ALL SELECT member_id, 'value_class',
        CASE WHEN before * 100 < 50 * total THEN 'A' WHEN before * 100 < 80 * total THEN 'B'
             WHEN before * 100 < 95 * total THEN 'C' ELSE 'D' END FROM scored)
INSERT INTO member_attributes (member_id, name, value)
SELECT member_id, name, value FROM wanted WHERE true
ON CONFLICT (member_id, name) DO UPDATE SET value = excluded.value WHERE member_attributes.value <> excluded.value
"""
_LAPSED = (f"DELETE FROM member_attributes WHERE name IN ({', '.join(repr(name) for name in ATTRIBUTES)}) "
           f"AND member_id NOT IN (SELECT member_id FROM ({_BOUGHT}) AS bought)")


# Every open member's stage, the same order of tests as ``lifecycle_stage``.
_STAGED = f"""
WITH history AS (
    SELECT m.id AS member_id, COUNT(r.id) AS purchases, MAX(r.occurred_at) AS last_at,
           COUNT(CASE WHEN r.occurred_at > :since THEN 1 END) AS purchases_in_year
    FROM members AS m LEFT JOIN ({PURCHASES_SQL}) AS r ON r.member_id = m.id
    WHERE m.status <> 'closed'
    GROUP BY m.id),
advocates AS (
    SELECT DISTINCT referrer_id AS member_id FROM referrals WHERE rewarded_at <= :as_of)
INSERT INTO member_attributes (member_id, name, value)
SELECT h.member_id, 'lifecycle_stage',
       CASE WHEN h.purchases = 0 THEN 'new'
            WHEN h.last_at <= :lapsed_before THEN 'lapsed'
            WHEN a.member_id IS NOT NULL THEN 'advocate'
            WHEN h.purchases_in_year >= :loyal THEN 'loyal'
            WHEN h.purchases > 1 THEN 'repeat'
            ELSE 'first_purchase' END
FROM history AS h LEFT JOIN advocates AS a ON a.member_id = h.member_id WHERE true
ON CONFLICT (member_id, name) DO UPDATE SET value = excluded.value WHERE member_attributes.value <> excluded.value
"""


def score_customers(db: Database, *, as_of: datetime) -> dict:
    """Write every member's customer-value attributes and lifecycle stage as of ``as_of``
    (only those that changed, in one transaction) and remove the scores of members who no
    longer bought in the year; how many members were scored, by value class and by stage."""
    window = (sa.bindparam("since", as_of - WINDOW, type_=UTCDateTime()),
              sa.bindparam("as_of", as_of, type_=UTCDateTime()))
    with db.transaction() as session:
        settings = read_settings(session)
        session.execute(sa.text(_LAPSED).bindparams(*window))
        session.execute(sa.text(_SCORED).bindparams(*window))
        session.execute(sa.text(_STAGED).bindparams(
            *window, sa.bindparam("lapsed_before", as_of - timedelta(days=settings.lapsed_after_days),
                                  type_=UTCDateTime()),
            loyal=settings.loyal_purchases_per_year))
        counts = dict(session.execute(sa.text(
            "SELECT value, COUNT(*) FROM member_attributes WHERE name IN ('value_class', 'lifecycle_stage') "
            "GROUP BY name, value")).all())
    scored = sum(counts.get(c, 0) for c in "ABCD")
    return {"members": int(scored), **{f"class_{c}": int(counts.get(c, 0)) for c in "ABCD"},
            **{f"stage_{stage}": int(counts.get(stage, 0)) for stage in STAGES}}
