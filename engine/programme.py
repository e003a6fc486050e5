"""Programme settings as plain data, their validation, and the expiry policy they define.

Pure code: no database, no clock. ``validate_settings`` returns every problem found (empty
when the settings are sound); ``lot_expires_at`` turns an earning instant into the instant
its points expire, in the programme's time zone.
"""
from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import Problem

EXPIRY_POLICIES = ("never", "after_earning", "after_inactivity")
EXPIRY_ROUNDINGS = ("none", "end_of_month", "end_of_quarter", "end_of_year")
# What a refund does when it must take back points the member has already spent:
# allow_negative - the balance goes below zero and later earnings pay it back;
# write_off      - take back what is there, post the shortfall to the adjustment account;
# refuse         - refuse the refund's points part (the till is told why).
NEGATIVE_BALANCE_POLICIES = ("allow_negative", "write_off", "refuse")

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# an IANA zone's name is an Area/Location (Europe/Berlin, America/Argentina/Salta, Etc/GMT+1);
# the zone directory also holds names that are the host's, not a zone: localtime (whatever the
# machine is set to), posixrules, Factory, posix/... and right/... (copies with other rules)
_ZONE_NAME = re.compile(r"[A-Z][A-Za-z]*(/[A-Za-z0-9_+-]+)+")


@dataclass(frozen=True)
class ProgrammeSettings:
    """What a marketer or operator sets once for the whole programme."""

    name: str = "Loyalty programme"
    points_name: str = "points"
    currency: str = "EUR"
    currency_exponent: int = 2
    timezone: str = "UTC"
    # Base earn rate: earn_points for every earn_per_minor minor units spent (1 per 1.00).
    earn_points: int = 1
    earn_per_minor: int = 100
    # Points stay pending (not spendable) this many days: the return window.
    pending_days: int = 14
    expiry_policy: str = "after_earning"
    expiry_months: int | None = 24
    expiry_rounding: str = "end_of_month"
    negative_balance_policy: str = "allow_negative"
    # Pay with points: redeem_points are worth redeem_value_minor minor units (100 = 1.00).
    redeem_points: int = 100
    redeem_value_minor: int = 100
    # At the till, one payment uses at least pay_min_points (0: any) and at most
    # pay_max_points (None: no cap) points.
    pay_min_points: int = 0
    pay_max_points: int | None = None
    # Every active member gets this many points on their birthday (0: no birthday bonus).
    birthday_bonus_points: int = 100
    # Refer a friend: with the referred member's first purchase paying at least
    # referral_min_total_minor, the referrer gets referrer_points and the friend referred_points
    # (both 0: no referral bonuses). A referral keeps the amounts of the day it was recorded.
    referrer_points: int = 0
    referred_points: int = 0
    referral_min_total_minor: int = 0
    # Members are told about points expiring within this many days.
    expiry_warning_days: int = 30
    # A points hold placed at the till lapses after this many minutes unless captured.
    hold_timeout_minutes: int = 15
    # Idempotency keys are remembered this long (longer than any till stays offline).
    idempotency_retention_days: int = 30
    # Staff adjustments larger than this (either sign) need a second person's approval.
    adjustment_approval_threshold: int = 1000
    # So do those that would take what one person adjusted without approval in the last 24
    # hours (either sign, added up) above this: many small adjustments are one large one.
    adjustment_daily_allowance: int = 5000
    # UID-only cards prove nothing; they may pay with points only after the member's PIN.
    uid_cards_redeem_with_pin: bool = True
    # Our chip cards prove themselves; with this, paying with points takes the PIN too, so a
    # lost or stolen card only earns until it is blocked.
    chip_cards_redeem_with_pin: bool = False
    # Every staff account (but a mail-sending script's) signs in with an authenticator app's
    # code as well; one without an authenticator may only set one up.
    staff_two_step_required: bool = False
    # A reward costing a member more than this many points online (API or portal) needs their
    # password as well as their session (None: never), so that a stolen session cannot turn
    # a balance into vouchers.
    online_redeem_password_above: int | None = None
    # A member signing in from a device (browser, app) they never signed in from gives a code
    # sent to their e-mail address as well as their password.
    member_new_device_code: bool = False
    # Offline evidence from a till is accepted for accruals up to this many hours after the sale.
    offline_max_age_hours: int = 72
    # The customer lifecycle (the nightly customer-value job): a member who has not bought for
    # this many days is ``lapsed``; one with this many purchases in the last year is ``loyal``.
    lapsed_after_days: int = 180
    loyal_purchases_per_year: int = 6

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **changes) -> ProgrammeSettings:
        return dataclasses.replace(self, **changes)


def validate_settings(s: ProgrammeSettings) -> list[Problem]:
    """Every problem with ``s``; an empty list means the settings can be saved."""
    problems: list[Problem] = []

    def need(ok: bool, field: str, message: str) -> None:
        if not ok:
            problems.append(Problem(field, message))

    def is_int(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    for field, limit in (("name", 100), ("points_name", 40)):
        value = getattr(s, field)
        need(isinstance(value, str) and 0 < len(value.strip()) <= limit,
             field, f"must be a non-empty text of at most {limit} characters")
    need(isinstance(s.currency, str) and bool(_CURRENCY.match(s.currency)),
         "currency", "must be a three-letter ISO 4217 code in capitals, such as EUR")
    need(is_int(s.currency_exponent) and 0 <= s.currency_exponent <= 4,
         "currency_exponent", "must be a whole number from 0 to 4 (2 for cents)")
    need(is_valid_timezone(s.timezone), "timezone",
         f"{s.timezone!r} is not an IANA time zone such as Europe/Berlin")
    # (bounded: a rate of forty digits is no programme's, and beyond 64 bits the database refuses it)
    need(is_int(s.earn_points) and 0 <= s.earn_points <= 10**9,
         "earn_points", "must be a whole number of points from 0 to 1000000000")
    for field in ("earn_per_minor", "redeem_points", "redeem_value_minor"):
        value = getattr(s, field)
        need(is_int(value) and 1 <= value <= 10**9, field, "must be a whole number from 1 to 1000000000")
    need(is_int(s.hold_timeout_minutes) and 1 <= s.hold_timeout_minutes <= 24 * 60,
         "hold_timeout_minutes", "must be a whole number of minutes from 1 to 1440")
    need(is_int(s.idempotency_retention_days) and 1 <= s.idempotency_retention_days <= 3650,
         "idempotency_retention_days", "must be a whole number of days from 1 to 3650")
    need(is_int(s.adjustment_approval_threshold) and 0 <= s.adjustment_approval_threshold <= 10**9,
         "adjustment_approval_threshold", "must be a whole number of points from 0 to 1000000000")
    need(is_int(s.adjustment_daily_allowance) and 0 <= s.adjustment_daily_allowance <= 10**9,
         "adjustment_daily_allowance", "must be a whole number of points, zero or more")
    for field in ("uid_cards_redeem_with_pin", "chip_cards_redeem_with_pin", "staff_two_step_required",
                  "member_new_device_code"):
        need(isinstance(getattr(s, field), bool), field, "must be true or false")
    need(is_int(s.offline_max_age_hours) and 1 <= s.offline_max_age_hours <= 24 * 30,
         "offline_max_age_hours", "must be a whole number of hours from 1 to 720")
    need(s.online_redeem_password_above is None
         or (is_int(s.online_redeem_password_above) and 0 <= s.online_redeem_password_above <= 10**9),
         "online_redeem_password_above", "must be empty (never) or a whole number of points, zero or more")
    need(is_int(s.pay_min_points) and 0 <= s.pay_min_points <= 10**9,
         "pay_min_points", "must be a whole number of points, zero or more")
    need(s.pay_max_points is None or (is_int(s.pay_max_points) and 1 <= s.pay_max_points <= 10**9),
         "pay_max_points", "must be empty (no cap) or a whole number of points from 1")
    if is_int(s.pay_min_points) and is_int(s.pay_max_points):
        need(s.pay_min_points <= s.pay_max_points, "pay_max_points", "must not be below pay_min_points")
    need(is_int(s.birthday_bonus_points) and 0 <= s.birthday_bonus_points <= 10**6,
         "birthday_bonus_points", "must be a whole number of points from 0 to 1000000")
    for field in ("referrer_points", "referred_points"):
        need(is_int(getattr(s, field)) and 0 <= getattr(s, field) <= 10**6,
             field, "must be a whole number of points from 0 to 1000000")
    need(is_int(s.referral_min_total_minor) and 0 <= s.referral_min_total_minor <= 10**12,
         "referral_min_total_minor", "must be a whole number of minor units, zero or more")
    need(is_int(s.expiry_warning_days) and 1 <= s.expiry_warning_days <= 365,
         "expiry_warning_days", "must be a whole number of days from 1 to 365")
    need(is_int(s.pending_days) and 0 <= s.pending_days <= 365,
         "pending_days", "must be a whole number of days from 0 to 365")
    need(s.expiry_policy in EXPIRY_POLICIES,
         "expiry_policy", f"must be one of {', '.join(EXPIRY_POLICIES)}")
    need(s.expiry_rounding in EXPIRY_ROUNDINGS,
         "expiry_rounding", f"must be one of {', '.join(EXPIRY_ROUNDINGS)}")
    if s.expiry_policy == "never":
        need(s.expiry_months is None, "expiry_months", "must be empty when points never expire")
    elif s.expiry_policy in EXPIRY_POLICIES:
        need(is_int(s.expiry_months) and 1 <= s.expiry_months <= 120,
             "expiry_months", f"must be a whole number of months from 1 to 120 "
             f"when the expiry policy is {s.expiry_policy}")
    if s.expiry_policy != "after_earning" and s.expiry_rounding in EXPIRY_ROUNDINGS:
        need(s.expiry_rounding == "none", "expiry_rounding",
             "applies only when points expire a fixed time after earning; set it to none")
    need(is_int(s.lapsed_after_days) and 30 <= s.lapsed_after_days <= 3650,
         "lapsed_after_days", "must be a whole number of days from 30 to 3650")
    need(is_int(s.loyal_purchases_per_year) and 2 <= s.loyal_purchases_per_year <= 1000,
         "loyal_purchases_per_year", "must be a whole number of purchases from 2 to 1000")
    need(s.negative_balance_policy in NEGATIVE_BALANCE_POLICIES, "negative_balance_policy",
         f"must be one of {', '.join(NEGATIVE_BALANCE_POLICIES)}")
    return problems


def is_valid_timezone(name: object) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows: ``UTC`` or an Area/Location
    name; never a name that means something else on another host (``localtime``,
    ``posixrules``, ``Factory``, ``posix/...``)."""
    if not isinstance(name, str) or not (name == "UTC" or _ZONE_NAME.fullmatch(name)):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def lot_expires_at(earned_at: datetime, settings: ProgrammeSettings) -> datetime | None:
    """When points earned at ``earned_at`` expire under a fixed-term policy.

    ``None`` when the policy is ``never``. Inactivity-based: the deadline counted from the
    earning, which the member's later activity moves (``engine.ledger.inactivity``). With rounding, points stay
    valid to the end of the rounded period: the result is midnight, programme time,
    at the start of the next period.
    """
    if settings.expiry_policy == "after_inactivity":  # the earning is activity: all points last that long now
        return inactivity_deadline(earned_at, settings)
    if settings.expiry_policy != "after_earning":
        return None
    zone = ZoneInfo(settings.timezone)
    local = earned_at.astimezone(zone)
    if settings.expiry_rounding == "none":
        shifted = add_months(local.date(), settings.expiry_months)
        return datetime.combine(shifted, local.timetz()).astimezone(UTC)
    return end_of_day(_end_of_period(add_months(local.date(), settings.expiry_months), settings.expiry_rounding),
                      zone)


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` begins in ``zone`` (its midnight), in UTC."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` ends in ``zone`` (midnight at the start of the next day), in UTC:
    how the last day of points or of a voucher is stored."""
    return start_of_day(day + timedelta(days=1), zone)


def last_day_before(end: datetime, zone: tzinfo) -> date:
    """The last day in ``zone`` before the instant ``end`` (``end_of_day`` the other way)."""
    return (end.astimezone(zone) - timedelta(microseconds=1)).date()


def inactivity_deadline(last_activity_at: datetime, settings: ProgrammeSettings) -> datetime | None:
    """When all of a member's points expire if they stay inactive since ``last_activity_at``."""
    if settings.expiry_policy != "after_inactivity":
        return None
    local = last_activity_at.astimezone(ZoneInfo(settings.timezone))
    shifted = add_months(local.date(), settings.expiry_months)
    return datetime.combine(shifted, local.timetz()).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _end_of_period(day: date, rounding: str) -> date:
    if rounding == "end_of_month":
        last_month = day.month
    elif rounding == "end_of_quarter":
        last_month = ((day.month - 1) // 3) * 3 + 3
    else:
        last_month = 12
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
