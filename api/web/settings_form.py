"""The programme settings as the console's form shows them: every setting under a heading,
with a label in words, a hint, and its value as text (yes/no for the yes-or-no ones, a
choice for those with a few values). Reading the form back and validating it is
``engine.settings.update_settings_from_text``."""
from __future__ import annotations

import typing

from engine.programme import EXPIRY_POLICIES, EXPIRY_ROUNDINGS, NEGATIVE_BALANCE_POLICIES, ProgrammeSettings

# heading -> (setting, label, hint); every setting once (a test holds it to the dataclass)
SETTING_GROUPS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("The programme", (
        ("name", "Name", "as members see it"),
        ("points_name", "Points are called", "e.g. points, stars, miles"),
        ("currency", "Currency", "ISO 4217 code; every basket must be in it"),
        ("currency_exponent", "Currency decimals", "2 for cents"),
        ("timezone", "Time zone", "the programme's days and months, e.g. Europe/Berlin"),
    )),
    ("Earning", (
        ("earn_points", "Base rate: points", "for every …"),
        ("earn_per_minor", "… minor units spent", "100 = 1.00: 1 point per 1.00 with the default"),
        ("pending_days", "Pending days", "points wait this long before they can be spent: the return window"),
        ("birthday_bonus_points", "Birthday bonus", "points on a member's birthday (0: none)"),
        ("referrer_points", "Referral: the referrer gets", "points when the friend first buys (0: none)"),
        ("referred_points", "Referral: the friend gets", "points on that first purchase (0: none)"),
        ("referral_min_total_minor", "Referral: the first purchase pays at least", "minor units"),
    )),
    ("Paying with points", (
        ("redeem_points", "Points …", "that are worth …"),
        ("redeem_value_minor", "… this many minor units", "100 points = 1.00 with the defaults"),
        ("pay_min_points", "Least points in one payment", "0: any"),
        ("pay_max_points", "Most points in one payment", "empty: no cap"),
        ("hold_timeout_minutes", "A till's hold lapses after", "minutes, unless captured"),
    )),
    ("Expiry", (
        ("expiry_policy", "Points expire", "never, some months after they were earned, or after inactivity"),
        ("expiry_months", "Months", "empty with 'never'"),
        ("expiry_rounding", "Expiry rounded to", "the end of the month, quarter or year"),
        ("expiry_warning_days", "Warn members", "days before their points expire"),
        ("negative_balance_policy", "A refund of points already spent", "goes negative, is written off, or is "
                                                                        "refused"),
    )),
    ("Cards and tills", (
        ("uid_cards_redeem_with_pin", "UID-only cards pay only with the PIN", "a UID proves nothing"),
        ("chip_cards_redeem_with_pin", "Chip cards pay only with the PIN", "a lost card then only earns"),
        ("offline_max_age_hours", "A till's sale is taken up to", "hours after the sale"),
        ("idempotency_retention_days", "Retries are recognised for", "days (longer than a till stays offline)"),
    )),
    ("Controls", (
        ("adjustment_approval_threshold", "Adjustments above this need a second person", "points"),
        ("adjustment_daily_allowance", "… and once one person adjusted this much in 24 hours", "points"),
        ("staff_two_step_required", "Every staff member signs in in two steps", "an authenticator app's code"),
        ("online_redeem_password_above", "Rewards above this many points take the member's password online",
         "empty: a session alone redeems any reward"),
        ("member_new_device_code", "A member signing in on a new device gives a code sent by e-mail",
         "as well as the password"),
    )),
    ("Customer lifecycle", (
        ("lapsed_after_days", "A member is lapsed after", "days without a purchase"),
        ("loyal_purchases_per_year", "A member is loyal from", "purchases a year"),
    )),
)
# (value, label) pairs of the settings with a few values
CHOICES = {name: tuple((value, value.replace("_", " ")) for value in values)
           for name, values in (("expiry_policy", EXPIRY_POLICIES), ("expiry_rounding", EXPIRY_ROUNDINGS),
                                ("negative_balance_policy", NEGATIVE_BALANCE_POLICIES))}
_HINTS = typing.get_type_hints(ProgrammeSettings)


def is_yes_or_no(name: str) -> bool:
    return _HINTS[name] is bool


def as_text(settings: ProgrammeSettings) -> dict[str, str]:
    """Every setting's value as the form shows it."""
    def text(value) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "" if value is None else str(value)
    return {name: text(getattr(settings, name)) for name in ProgrammeSettings.field_names()}
