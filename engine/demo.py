"""A small demo programme: settings, stores, tills, members and cards to look at and try.

Loaded only into a database without stores, so it never mixes with a real programme.
The card numbers are fixed (so the demo terminal and the README can name them); member
ids are random like any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from engine import cards, members, stores
from engine.card_numbers import luhn_check_digit
from engine.database import Database
from engine.errors import InvalidState, refuse_if
from engine.orm.stores import StoreRow
from engine.programme import ProgrammeSettings, validate_settings
from engine.settings import save_settings

DEMO_SETTINGS = ProgrammeSettings(
    name="Demo Rewards", points_name="points", currency="EUR", currency_exponent=2,
    timezone="Europe/Berlin", earn_points=1, earn_per_minor=100, pending_days=14,
    expiry_policy="after_earning", expiry_months=24, expiry_rounding="end_of_quarter",
    negative_balance_policy="allow_negative", redeem_points=100, redeem_value_minor=100)

DEMO_STORES = (
    ("BER-01", "Berlin Mitte", "Europe/Berlin", "CITY"),
    ("HAM-01", "Hamburg Jungfernstieg", "Europe/Berlin", "CITY"),
    ("MUC-AIR", "Munich Airport", "Europe/Berlin", "TRAVEL"),
)
DEMO_TERMINALS = (("BER-01-T1", "BER-01"), ("BER-01-T2", "BER-01"),
                  ("HAM-01-T1", "HAM-01"), ("MUC-AIR-T1", "MUC-AIR"))
# name, e-mail, birthday, card kind, card number (None: generated), status to leave it in
DEMO_MEMBERS = (
    ("Ada Lovelace", "ada@example.org", date(1985, 12, 10), "applet", "900000000000001", "active"),
    ("Grace Hopper", "grace@example.org", date(1979, 12, 9), "applet", "900000000000002", "active"),
    ("Alan Turing", "alan@example.org", date(1990, 6, 23), "uid", "04A1B2C3D4E5F6", "active"),
    ("Katherine Johnson", "katherine@example.org", date(1988, 8, 26), "applet", "900000000000003", "blocked"),
    ("Edsger Dijkstra", "edsger@example.org", None, "applet", "900000000000004", "issued"),
)


@dataclass(frozen=True)
class DemoSummary:
    stores: int
    terminals: int
    members: int
    cards: list[str]


def demo_card_number(body: str) -> str:
    """A fixed demo card number: a 15-digit body gets its Luhn check digit."""
    return body if len(body) != 15 else body + luhn_check_digit(body)


def load_demo(db: Database, *, now: datetime) -> DemoSummary:
    """Load the demo programme; refuses when the database already has stores."""
    with db.transaction() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(StoreRow)):
            raise InvalidState("the database already holds a programme (it has stores); "
                               "the demo loads only into an empty database", code="not_empty")
        refuse_if(validate_settings(DEMO_SETTINGS))
        save_settings(session, DEMO_SETTINGS, now=now)
    for code, name, zone, group in DEMO_STORES:
        stores.create_store(db, code=code, name=name, timezone=zone, group=group, now=now)
    for code, store_code in DEMO_TERMINALS:
        stores.create_terminal(db, code=code, store_code=store_code, now=now)
    numbers = []
    for index, (name, email, birthday, kind, body, status) in enumerate(DEMO_MEMBERS):
        enrolled = now - timedelta(days=400 - 60 * index)
        member = members.enrol_member(db, full_name=name, email=email, birthday=birthday,
                                      consents={"marketing_email": index % 2 == 0},
                                      now=now, enrolled_at=enrolled)
        card = cards.issue_card(db, member_id=member.public_id, kind=kind,
                                number=demo_card_number(body), now=now)
        if status in ("active", "blocked"):
            cards.activate_card(db, card.number, now=now)
        if status == "blocked":
            cards.block_card(db, card.number, reason="reported lost (demo)", now=now)
        numbers.append(card.number)
    return DemoSummary(stores=len(DEMO_STORES), terminals=len(DEMO_TERMINALS),
                       members=len(DEMO_MEMBERS), cards=numbers)
