"""The tier policy as pure functions: which tier points qualify for, what a review does,
the qualification window and the review dates. No database, no clock.

Qualifying points are what a member *earned* in the window (earnings less what refunds
reversed of them, not the points a refund gives back), never the spendable balance. A
review keeps or raises a tier the member qualifies for, and otherwise lowers it by at most
one step; with a grace period the first failed review keeps the tier until the grace ends,
when the member is reviewed again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.errors import Problem
from engine.orm.tiers import TIER_MEASURES, TIER_REVIEWS, TIER_WINDOWS
from engine.programme import add_months

# A threshold counts points or spend in minor units; 10^15 is far above either, and far
# within the 64-bit column that holds it.
MAX_THRESHOLD = 10**15
# as a reward's code: a tier's code is listed in rules, segments and the console's fields (comma-separated),
# so no space, no comma, no "/"
TIER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


@dataclass(frozen=True)
class TierDefinition:
    code: str
    name: str
    threshold: int  # qualifying points (or spend, in minor units) needed in the window
    earn_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class TierPolicy:
    window: str = "calendar_year"  # or rolling_months
    window_months: int = 12
    review: str = "calendar"  # or anniversary (12 months after the tier was reached)
    grace_months: int = 0
    measure: str = "points"  # or "spend": what members paid (not with points), less refunds


def validate_tiers(tiers: list[TierDefinition], policy: TierPolicy) -> list[Problem]:
    """Every problem with the tier list (in rank order, lowest first) and the policy."""
    problems = []
    if not tiers:
        problems.append(Problem("tiers", "define at least one tier"))
    codes = [t.code for t in tiers]
    if len(set(codes)) != len(codes):
        problems.append(Problem("tiers", "tier codes must be unique"))
    for n, tier in enumerate(tiers):
        if not (isinstance(tier.code, str) and TIER_CODE.fullmatch(tier.code)):
            problems.append(Problem(f"tiers[{n}].code",
                                    "must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit"))
        if not (isinstance(tier.name, str) and 0 < len(tier.name.strip()) <= 100):
            problems.append(Problem(f"tiers[{n}].name", "must be a non-empty text of at most 100 characters"))
        if not (isinstance(tier.threshold, int) and not isinstance(tier.threshold, bool)
                and 0 <= tier.threshold <= MAX_THRESHOLD):
            problems.append(Problem(f"tiers[{n}].threshold", f"must be a whole number from 0 to {MAX_THRESHOLD:,}"))
        if not (isinstance(tier.earn_multiplier, Decimal) and tier.earn_multiplier.is_finite()
                and Decimal(0) < tier.earn_multiplier <= Decimal(100)):
            problems.append(Problem(f"tiers[{n}].earn_multiplier", "must be a number above 0 and at most 100"))
    if tiers and tiers[0].threshold != 0:
        problems.append(Problem("tiers[0].threshold", "the lowest tier must need 0 points (every member has it)"))
    if any(a.threshold >= b.threshold for a, b in zip(tiers, tiers[1:])):
        problems.append(Problem("tiers", "thresholds must rise strictly from the lowest tier to the highest"))
    if policy.window not in TIER_WINDOWS:
        problems.append(Problem("window", f"must be one of {', '.join(TIER_WINDOWS)}"))
    if policy.review not in TIER_REVIEWS:
        problems.append(Problem("review", f"must be one of {', '.join(TIER_REVIEWS)}"))
    if not (isinstance(policy.window_months, int) and 1 <= policy.window_months <= 60):
        problems.append(Problem("window_months", "must be a whole number of months from 1 to 60"))
    if policy.measure not in TIER_MEASURES:
        problems.append(Problem("measure", f"must be one of {', '.join(TIER_MEASURES)}"))
    if not (isinstance(policy.grace_months, int) and 0 <= policy.grace_months <= 24):
        problems.append(Problem("grace_months", "must be a whole number of months from 0 to 24"))
    return problems


def qualified_rank(thresholds: list[int], points: int) -> int:
    """The highest rank whose threshold ``points`` reach (thresholds in rank order)."""
    return max(rank for rank, threshold in enumerate(thresholds) if threshold <= points)


def review_outcome(current: int, qualified: int, *, in_grace: bool, grace_months: int) -> tuple[int, bool]:
    """The rank after a review and whether a grace period starts now."""
    if qualified >= current:
        return qualified, False
    if grace_months > 0 and not in_grace:
        return current, True
    return max(qualified, current - 1), False


def window_start(policy: TierPolicy, end: datetime, zone: ZoneInfo) -> datetime:
    """Where the qualification window that ends at ``end`` begins: N months before it, or
    the start of the calendar year (programme time) of the instant just before ``end``."""
    local = end.astimezone(zone)
    if policy.window == "rolling_months":
        return datetime.combine(add_months(local.date(), -policy.window_months), local.timetz())
    year = local.year - 1 if (local.month, local.day, local.timetz().replace(tzinfo=None)) == (1, 1, time()) \
        else local.year
    return datetime(year, 1, 1, tzinfo=zone)


def next_review(policy: TierPolicy, after: datetime, zone: ZoneInfo, *, since: datetime | None = None) -> datetime:
    """The first review instant later than ``after``: the next 1 January (programme time), or
    the next anniversary of ``since`` (the date the tier was reached)."""
    local = after.astimezone(zone)
    if policy.review == "calendar":
        return datetime(local.year + 1, 1, 1, tzinfo=zone)
    base = (since or after).astimezone(zone)
    months = 12
    while True:
        candidate = datetime.combine(add_months(base.date(), months), time(), zone)
        if candidate > after:
            return candidate
        months += 12
