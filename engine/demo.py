"""A small demo programme: settings, stores, tills, members and cards to look at and try,
with some history in the points ledger.

Loaded only into a database without stores, so it never mixes with a real programme.
The card numbers are fixed (so the demo terminal and the README can name them); member
ids and the hold id are random like any other. The history is posted through the ledger
services, as a till and an operator would have posted it, at fixed distances before
``now`` (in time order, with fixed idempotency keys of the caller ``demo``): purchases
whose points are available and others still pending, a payment with points at the till
(a hold captured for a later sale), a partial refund of that sale and a goodwill
adjustment. Four tiers (Basic, Silver, Gold, Platinum) are defined first, so the history
lifts members as it would have; the customer-value scores and a segment of the best
customers (value class A) and a small rewards catalogue come after it. Given the same
``now`` it always posts the same points.

The demo's earning rules (``DEMO_RULES``) and its summer campaign are published at ``now``,
after the history: the past sales earned the base rate, sales from ``now`` on earn by the
rules (sale time decides).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from engine import cards, members, stores
from engine.card_numbers import luhn_check_digit
from engine.database import Database
from engine.errors import InvalidState, refuse_if
from engine.ledger.adjustments import adjust_points
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.earning import earn_points
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.refunds import refund_receipt
from engine.orm.stores import StoreRow
from engine.member_import_requests import AskToImport, ask_to_import
from engine.points_grants import GrantPoints, request_grant
from engine.programme import ProgrammeSettings, validate_settings
from engine.reports import CASHIER_ATTRIBUTE
from engine.rules import campaigns, segments, versions
from engine.rules.customer_value import score_customers
from engine.rewards import create_reward
from engine.settings import save_settings
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, review_tiers

DEMO_SETTINGS = ProgrammeSettings(
    name="Demo Rewards", points_name="points", currency="EUR", currency_exponent=2,
    timezone="Europe/Berlin", earn_points=1, earn_per_minor=100, pending_days=14,
    expiry_policy="after_earning", expiry_months=24, expiry_rounding="end_of_quarter",
    negative_balance_policy="allow_negative", redeem_points=100, redeem_value_minor=100,
    referrer_points=500, referred_points=250, referral_min_total_minor=1000, online_redeem_password_above=1000)

DEMO_STORES = (  # code, name, time zone, group, channel
    ("BER-01", "Berlin Mitte", "Europe/Berlin", "CITY", "store"),
    ("HAM-01", "Hamburg Jungfernstieg", "Europe/Berlin", "CITY", "store"),
    ("MUC-AIR", "Munich Airport", "Europe/Berlin", "TRAVEL", "store"),
    ("WEB", "Web shop", "Europe/Berlin", None, "online"),  # its backend posts orders naming the member
)
DEMO_TERMINALS = (("BER-01-T1", "BER-01"), ("BER-01-T2", "BER-01"),
                  ("HAM-01-T1", "HAM-01"), ("MUC-AIR-T1", "MUC-AIR"), ("WEB-BACKEND", "WEB"))
# the cashier at each till (the operator id its sales name); Alan works the Munich Airport
# till and rang up his own purchase there: the console's Checks page lists it
DEMO_CASHIERS = {"BER-01-T1": "0101", "BER-01-T2": "0102", "HAM-01-T1": "0201", "MUC-AIR-T1": "0301"}
DEMO_CASHIER_MEMBER = (2, "0301")  # (index into DEMO_MEMBERS, operator id)
# name, e-mail, birthday, card kind, card number (None: generated), status to leave it in
DEMO_MEMBERS = (
    ("Ada Lovelace", "ada@example.org", date(1985, 12, 10), "applet", "900000000000001", "active"),
    ("Grace Hopper", "grace@example.org", date(1979, 12, 9), "applet", "900000000000002", "active"),
    ("Alan Turing", "alan@example.org", date(1990, 6, 23), "uid", "04A1B2C3D4E5F6", "active"),
    ("Katherine Johnson", "katherine@example.org", date(1988, 8, 26), "applet", "900000000000003", "blocked"),
    ("Edsger Dijkstra", "edsger@example.org", None, "applet", "900000000000004", "issued"),
)


DEMO_CALLER = "demo"
# The purchases of the history: idempotency key, days before now, member (index into
# DEMO_MEMBERS), by card?, store, terminal, receipt number, lines (sku, quantity,
# amount in cents, category, brand). Ada's last purchase and Alan's are still pending.
DEMO_PURCHASES = (
    ("demo-earn-1", 200, 0, True, "BER-01", "BER-01-T1", "BER1-T1-000101",
     (("COFFEE-1KG", "2", 2598, "coffee", "Roastery"), ("MUG-WHITE", "1", 1250, "homeware", None))),
    ("demo-earn-2", 150, 3, False, "HAM-01", "HAM-01-T1", "HAM1-T1-000412",
     (("SHOE-RUN-42", "1", 8990, "sports", "Stride"),)),
    ("demo-earn-3", 90, 1, True, "HAM-01", "HAM-01-T1", "HAM1-T1-000587",
     (("HEADPHONES-X2", "1", 12990, "electronics", "Sonic"), ("CABLE-USB-C", "1", 1499, "electronics", None))),
    ("demo-earn-4", 45, 2, True, "MUC-AIR", "MUC-AIR-T1", "MUC-T1-002210",
     (("PRETZEL", "3", 747, "food", None), ("NECK-PILLOW", "1", 2499, "travel", "Dreamer"))),
    ("demo-earn-6", 3, 0, True, "BER-01", "BER-01-T2", "BER1-T2-000377",
     (("TEA-GREEN", "2.5", 3120, "tea", None), ("TEAPOT", "1", 2500, "homeware", "Kanne"))),
    ("demo-earn-7", 1, 2, True, "MUC-AIR", "MUC-AIR-T1", "MUC-T1-002871",
     (("GUIDE-MUNICH", "1", 1890, "books", None),)),
)
# Grace pays part of a sale with points at the till, then brings one of its lines back.
DEMO_PAYMENT_DAYS_AGO, DEMO_PAYMENT_POINTS = 20, 120
DEMO_PAID_SALE = ("demo-earn-5", 1, "BER-01", "BER-01-T2", "BER1-T2-000214",
                  (("NOVEL-HARDCOVER", "1", 2400, "books", None), ("PUZZLE-1000", "1", 1600, "toys", "Ravens")))
DEMO_REFUND_DAYS_AGO, DEMO_REFUND_LINE = 18, 2
DEMO_ADJUSTMENT = (10, 2, 25, "goodwill: receipt printer fault at Munich Airport")


@dataclass(frozen=True)
class DemoSummary:
    stores: int
    terminals: int
    members: int
    cards: list[str]
    receipts: int = 0  # purchases that earned points
    postings: int = 0  # ledger transactions of the history
    rules: int = 0  # earning rules published


def demo_card_number(body: str) -> str:
    """A fixed demo card number: a 15-digit body gets its Luhn check digit."""
    return body if len(body) != 15 else body + luhn_check_digit(body)


# Tiers on points earned in the calendar year, reviewed on 1 January, three months' grace.
DEMO_TIERS = [TierDefinition("BASIC", "Basic", 0), TierDefinition("SILVER", "Silver", 500, Decimal("1.25")),
              TierDefinition("GOLD", "Gold", 2000, Decimal("1.5")),
              TierDefinition("PLATINUM", "Platinum", 5000, Decimal(2))]
DEMO_TIER_POLICY = TierPolicy(window="calendar_year", review="calendar", grace_months=3)
# code, name, price, stock, per-member limit, tier prices, days a voucher is usable
DEMO_REWARDS = [("COFFEE", "Free coffee", 150, None, None, {"GOLD": 100, "PLATINUM": 75}, 30),
                ("TOTE", "Canvas tote bag", 800, 50, 2, {"PLATINUM": 600}, None),
                ("CINEMA", "Two cinema tickets", 2000, 10, 1, {}, 90)]


def load_demo(db: Database, *, now: datetime) -> DemoSummary:
    """Load the demo programme; refuses when the database already has stores."""
    with db.transaction() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(StoreRow)):
            raise InvalidState("the database already holds a programme (it has stores); "
                               "the demo loads only into an empty database", code="not_empty")
        refuse_if(validate_settings(DEMO_SETTINGS))
        save_settings(session, DEMO_SETTINGS, now=now)
    define_tiers(db, DEMO_TIERS, DEMO_TIER_POLICY, now=now)
    for code, name, zone, group, channel in DEMO_STORES:
        stores.create_store(db, code=code, name=name, timezone=zone, group=group, channel=channel, now=now)
    for code, store_code in DEMO_TERMINALS:
        stores.create_terminal(db, code=code, store_code=store_code, now=now)
    numbers, member_ids = [], []
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
        member_ids.append(member.public_id)
    index, operator = DEMO_CASHIER_MEMBER
    segments.set_member_attribute(db, member_ids[index], CASHIER_ATTRIBUTE, operator)
    receipts, postings = _load_history(db, now=now, member_ids=member_ids, card_numbers=numbers)
    review_tiers(db, as_of=now)  # members who earned nothing start in the lowest tier
    score_customers(db, as_of=now)  # value classes, RFM scores and lifecycle stages, as the nightly job gives them
    segments.create_segment(db, code="best-customers", predicate={"attributes": {"value_class": ["A"]}}, now=now)
    segments.create_segment(db, code="win-back", predicate={"attributes": {"lifecycle_stage": ["lapsed"]}}, now=now)
    # a thank-you that Sam from support asked for; another person approves it on the Grants page
    request_grant(db, GrantPoints("best-customers", 250, "Thank you for being one of our best customers", "support"),
                  caller=DEMO_CALLER, idempotency_key="demo-grant-1", now=now)
    # members of the coffee club the chain ran before, with their points; on the Imports page
    ask_to_import(db, AskToImport("coffee-club-export.csv", DEMO_IMPORT, "support"), caller=DEMO_CALLER,
                  idempotency_key="demo-import-1", now=now)
    for code, name, price, stock, limit, tier_prices, voucher_days in DEMO_REWARDS:
        create_reward(db, code=code, name=name, points_price=price, stock=stock, per_member_limit=limit,
                      tier_prices=tier_prices, voucher_valid_days=voucher_days, valid_from=now - timedelta(days=30),
                      now=now)
    _load_rules(db, now=now)
    return DemoSummary(stores=len(DEMO_STORES), terminals=len(DEMO_TERMINALS),
                       members=len(DEMO_MEMBERS), cards=numbers, receipts=receipts, postings=postings,
                       rules=len(DEMO_RULES))


# The coffee club the chain ran before the programme: three members waiting to be imported.
DEMO_IMPORT = """full_name,email,marketing_email,enrolled_at,opening_points,reference
Margaret Hamilton,margaret@example.org,no,2021-05-11,840,CC-0117
Barbara Liskov,barbara@example.org,yes,2022-09-30,1260,CC-0342
Donald Knuth,,no,2020-01-08,2048,CC-0009
"""

# The demo programme's rules. With the base rate of 1 point per 1.00 (DEMO_SETTINGS) they
# say: 2 points per 1.00; triple points on coffee at weekends in the city stores; 500 points
# on a member's first purchase; 200 points in the birthday month; gold members earn 1.5x;
# the weekend coffee and summer bonuses give at most 2,000 points per member per day; the
# summer campaign gives at most 1,000,000 points in total.
DEMO_RULES = (
    {"key": "two-per-euro", "name": "2 points per 1.00 (1 on top of the base rate)", "priority": 100,
     "effect": {"kind": "points_per_unit", "points": 1, "per_minor": 100}},
    {"key": "coffee-weekend-city", "name": "Triple points on coffee at weekends in city stores", "priority": 50,
     "conditions": [{"kind": "category", "values": ["coffee"]}, {"kind": "day_of_week", "days_of_week": [6, 7]},
                    {"kind": "store_group", "values": ["CITY"]}],
     "effect": {"kind": "multiplier", "factor": "3"}, "limits": {"per_member_day": 2000}},
    {"key": "first-purchase", "name": "500 points on the first purchase", "conditions": [{"kind": "first_purchase"}],
     "effect": {"kind": "fixed_per_transaction", "points": 500}},
    {"key": "birthday-month", "name": "200 points in the birthday month", "conditions": [{"kind": "birthday_month"}],
     "effect": {"kind": "fixed_per_transaction", "points": 200}, "limits": {"per_member_month": 200}},
    {"key": "gold-boost", "name": "Gold members earn 1.5x", "priority": -100,
     "conditions": [{"kind": "tier", "values": ["GOLD"]}], "effect": {"kind": "multiplier", "factor": "1.5"}},
    {"key": "summer-bonus", "name": "Summer: 100 points on baskets from 20.00", "campaign": "summer",
     "conditions": [{"kind": "basket_total", "minimum": 2000}],
     "effect": {"kind": "fixed_per_transaction", "points": 100}, "limits": {"per_member_day": 2000}},
)
DEMO_SUMMER_BUDGET = 1_000_000


def _load_rules(db: Database, *, now: datetime) -> None:
    year = now.year if now.month < 9 else now.year + 1
    campaigns.create_campaign(db, code="summer", name="Summer campaign",
                              starts_at=datetime(year, 6, 1, tzinfo=now.tzinfo),
                              ends_at=datetime(year, 9, 1, tzinfo=now.tzinfo), budget=DEMO_SUMMER_BUDGET,
                              holdout_share=Decimal("0.05"), now=now)
    for definition in DEMO_RULES:
        versions.create_draft(db, definition, now=now, actor=DEMO_CALLER)
    versions.publish_rules(db, [d["key"] for d in DEMO_RULES], now=now, actor=DEMO_CALLER)


def _load_history(db: Database, *, now: datetime, member_ids: list[str],
                  card_numbers: list[str]) -> tuple[int, int]:
    """Post the demo history in time order; returns (receipts, ledger transactions)."""
    def buyer(index: int, by_card: bool = True) -> dict:
        return {"card_number": card_numbers[index]} if by_card else {"member_id": member_ids[index]}

    def purchase(key, index, by_card, store, terminal, receipt, lines, *, when, paid=0) -> int:
        earned = earn_points(db, _basket(store, terminal, receipt, when, lines, paid_with_points_minor=paid,
                                         **buyer(index, by_card)),
                             caller=DEMO_CALLER, idempotency_key=key, now=when)
        return earned.transaction_id is not None

    def payment(when: datetime) -> int:
        key, index, store, terminal, receipt, lines = DEMO_PAID_SALE
        hold = place_hold(db, PlaceHold(store, terminal, DEMO_PAYMENT_POINTS, **buyer(index)),
                          caller=DEMO_CALLER, idempotency_key="demo-hold-1", now=when)
        captured = capture_hold(db, CaptureHold(hold.hold_id, receipt_number=receipt), caller=DEMO_CALLER,
                                idempotency_key="demo-capture-1", now=when + timedelta(minutes=2))
        sale = when + timedelta(minutes=3)
        return 1 + purchase(key, index, True, store, terminal, receipt, lines, when=sale,
                            paid=captured.value_minor)

    def refund(when: datetime) -> int:
        _, _, store, terminal, receipt, _ = DEMO_PAID_SALE
        command = RefundReceipt(store, terminal, receipt, (RefundLine(DEMO_REFUND_LINE, Decimal(1)),), when)
        refunded = refund_receipt(db, command, caller=DEMO_CALLER, idempotency_key="demo-refund-1", now=when)
        return refunded.transaction_id is not None

    def adjustment(when: datetime) -> int:
        _, index, points, reason = DEMO_ADJUSTMENT
        adjust_points(db, AdjustPoints(member_ids[index], points, reason, actor="demo"),
                      caller=DEMO_CALLER, idempotency_key="demo-adjust-1", now=when)
        return 1

    steps = [(p[1], lambda when, p=p: purchase(p[0], *p[2:], when=when)) for p in DEMO_PURCHASES]
    steps += [(DEMO_PAYMENT_DAYS_AGO, payment), (DEMO_REFUND_DAYS_AGO, refund), (DEMO_ADJUSTMENT[0], adjustment)]
    postings = 0
    for days, step in sorted(steps, key=lambda step: -step[0]):  # oldest first
        postings += step(now - timedelta(days=days))
    return len(DEMO_PURCHASES) + 1, postings


def _basket(store: str, terminal: str, receipt: str, when: datetime, lines, *, paid_with_points_minor: int = 0,
            member_id: str | None = None, card_number: str | None = None) -> Basket:
    return Basket(
        store_code=store, terminal_code=terminal, receipt_number=receipt, occurred_at=when,
        currency=DEMO_SETTINGS.currency, paid_with_points_minor=paid_with_points_minor,
        member_id=member_id, card_number=card_number, cashier=DEMO_CASHIERS[terminal],
        lines=tuple(BasketLine(line_no=n, sku=sku, quantity=Decimal(quantity), amount_minor=amount,
                               category=category, brand=brand)
                    for n, (sku, quantity, amount, category, brand) in enumerate(lines, start=1)))
