"""What the web pages share: number and date formats, history lines in words, error pages
and form errors next to their fields."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import g, render_template
from werkzeug.exceptions import HTTPException

from api.context import database
from api.errors import status_for
from engine.errors import InvalidInput, LoyaltyError
from engine.ledger.balances import HistoryItem
from engine.ledger.holds import PAYMENT_RETURNED
from engine.programme import last_day_before
from engine.settings import get_settings

log = logging.getLogger("loyalty.web")

ERROR_TITLES = {
    400: ("This form has expired", "Please go back, reload the page and try again."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Page not found", "There is nothing at this address."),
    413: ("That was too much to send", "The form held more than we take. Nothing was changed."),
    429: ("Too many requests", "Nothing was changed. Please wait a moment and try again."),
    500: ("Something went wrong", "Nothing was changed. Please try again in a moment."),
    503: ("We cannot reach our records just now",
          "Please try again in a moment. A form sent again takes effect once."),
}


def points(value: int) -> str:
    """``1250`` → ``1,250``."""
    return f"{value:,}"


def signed_points(value: int) -> str:
    """``25`` → ``+25``, ``-50`` → ``−50`` (a real minus sign), ``0`` → ``0``."""
    return f"+{value:,}" if value > 0 else f"\u2212{-value:,}" if value < 0 else "0"


def day(value: datetime | None, zone: tzinfo = UTC) -> str:
    """``2026-12-31T23:59:59+00:00`` → ``31 Dec 2026``: the date in ``zone``."""
    return _date_text(value.astimezone(zone).date()) if value else ""


def last_day(expires_at: datetime | None, zone: tzinfo = UTC) -> str:
    """The last day, in ``zone``, that points or a voucher ending at ``expires_at`` can still be
    used: points expiring at ``2026-05-01T00:00Z`` are usable through ``30 Apr 2026``."""
    return _date_text(last_day_before(expires_at, zone)) if expires_at else ""


def _date_text(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def programme_zone() -> ZoneInfo:
    """The programme's time zone, read once per request: pages give dates in it, as the
    programme's days (expiry, reviews, birthdays) are counted in it."""
    zone = g.get("programme_zone")
    if zone is None:
        zone = g.programme_zone = ZoneInfo(get_settings(database()).timezone)
    return zone


def programme_day(value: datetime | None) -> str:
    """``day`` in the programme's time zone (a sale at 20:00 in New York is not the next day)."""
    return day(value, programme_zone())


def programme_last_day(expires_at: datetime | None) -> str:
    """``last_day`` in the programme's time zone, where every end falls at midnight (a
    programme west of UTC showed the day after before)."""
    return last_day(expires_at, programme_zone())


def money(minor: int, currency: str, exponent: int) -> str:
    """``3400, "EUR", 2`` → ``EUR 34.00``."""
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    whole, part = divmod(minor, 10 ** exponent)
    return f"{currency} {sign}{whole:,}" + (f".{part:0{exponent}d}" if exponent else "")


def programme_moment(value: datetime | None) -> str:
    """An instant to the second in the programme's time zone, with the zone's abbreviation:
    ``2026-03-02 22:15:07 EST``."""
    return value.astimezone(programme_zone()).strftime("%Y-%m-%d %H:%M:%S %Z") if value else ""


FILTERS = {"money": money, "points": points, "signed_points": signed_points, "day": programme_day,
           "last_day": programme_last_day, "moment": programme_moment}


# what a credit's description starts with, in the member's words (the engine writes them:
# engine.jobs.catalogue, engine.member_import, engine.rules.referrals, engine.ledger.holds; a
# cancelled voucher's is "voucher V... cancelled", engine.rewards)
_CREDIT_WORDS = (("birthday bonus", "Birthday bonus"),
                 ("opening balance", "Points brought over from the previous programme"),
                 ("referral bonus", "Bonus for referring a friend"),
                 (PAYMENT_RETURNED, "Points given back: the sale they paid for was called off"))


def history_words(item: HistoryItem, store_names: dict[str, str], reward_names: dict[str, str] | None = None) -> str:
    """What a ledger transaction means, in words a member understands (without the points)."""
    text = item.description or ""
    if item.kind == "earn" and text.startswith("purchase "):
        store = text.removeprefix("purchase ").split("/")[0]
        return f"Purchase at {store_names.get(store, store)}"
    if item.kind == "refund" and text.startswith("refund of receipt "):
        store = text.removeprefix("refund of receipt ").split("/")[0]
        return f"Refund of a purchase at {store_names.get(store, store)}"
    if item.kind == "capture":
        if text.startswith("reward "):
            code = text.removeprefix("reward ")
            return f"Reward: {(reward_names or {}).get(code, code)}"
        return "Paid with points"  # at a till, or at the web shop with a payment code
    if item.kind == "expire":
        return "Points expired"
    if item.kind == "adjust":
        if text.startswith("voucher ") and text.endswith(" cancelled"):
            return "Voucher cancelled: its points given back"
        words = next((words for prefix, words in _CREDIT_WORDS if text.startswith(prefix)), None)
        if words is not None:
            return words
        return f"From our service team: {text}" if text else "From our service team"
    return text or item.kind


def is_whole(text: str) -> bool:
    """Whether a form's ``text`` is a whole number ``int`` reads safely: ASCII digits only,
    at most 15 of them (more is no number any field takes, and thousands of digits are an
    error for ``int``)."""
    return 0 < len(text) <= 15 and text.isascii() and text.isdecimal()


def field_errors(error: InvalidInput, *, rename: dict[str, str] | None = None) -> dict[str, list[str]]:
    """An engine refusal's problems by form field (``rename`` maps engine names to fields)."""
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault((rename or {}).get(problem.field, problem.field), []).append(sentence(problem.message))
    return errors


def sentence(text: str) -> str:
    """``must be 12 to 128 characters`` → ``Must be 12 to 128 characters.``"""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def error_page(status: int, *, site: str = "portal", title: str | None = None, detail: str | None = None):
    """A page for an error (never a stack trace or JSON), with that status, in the look of
    ``site`` (``portal`` or ``console``)."""
    default_title, default_detail = ERROR_TITLES.get(status, ERROR_TITLES[500])
    return render_template(f"{site}/error.html", title=title or default_title, detail=detail or default_detail,
                           status=status), status


def unavailable_page(site: str):
    """The page while the database cannot be reached or is busy (503, Retry-After)."""
    log.warning("database unavailable", extra={"request_id": g.get("request_id")})
    page, status = error_page(503, site=site)
    return page, status, {"Retry-After": "1"}


def http_error_page(error: HTTPException, *, site: str):
    """The page for an HTTP refusal; a 429 keeps its Retry-After header."""
    page, status = error_page(error.code or 500, site=site)
    return page, status, (getattr(error, "data", None) or {}).get("headers", {})


def refusal_page(error: LoyaltyError, *, site: str):
    """The page for a refusal the caller can act on: what the engine said, with the status
    the API gives the same refusal (422 for input, 409 for a state or a clash, ...)."""
    return error_page(status_for(error), site=site, title="That did not work", detail=sentence(error.message))
