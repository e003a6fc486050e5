"""What drafts would have given: the sales of a past window evaluated again, with the rules in
force at each sale and with the drafts (or unsaved rules) in place of the published versions
of their keys. Posts nothing.

An estimate, and said so: each sale is evaluated alone, as a till's (receipts keep no
channel), with the member's facts of today (tier, segments, attributes, birthday; never a
first purchase), and with nothing used before
it (per-member day/week/month caps and campaign member caps count from zero; campaign
budgets are not taken), so capped rules may show more than they gave. The newest
``max_sales`` sales of the window are taken.

Guarantees: the same rules give the same points as the accruals did, sale for sale, when no
cap or budget cut them and the member's facts are unchanged (a test compares them); a
window of ``max_sales`` sales reads them in two statements, and its members' facts in three
statements per thousand members.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from engine.database import Database
from engine.errors import Problem, refuse_if
from engine.ledger.basket import Basket, BasketLine, EarningContext
from engine.orm.ledger import ReceiptLineRow, ReceiptRow
from engine.orm.members import MemberRow
from engine.orm.stores import StoreRow, TerminalRow
from engine.rules.calculator import (RulesCalculator, compiled_in_force, members_facts, replacements, sale_facts,
                                     usage_for, with_overlay)
from engine.rules.model import Rule
from engine.settings import read_settings
from engine.snapshot import programme

MAX_SALES = 10_000


@dataclass(frozen=True)
class RuleTotals:
    """What one rule key gave the window's sales as published, and would give with the drafts."""

    rule_key: str
    published: int
    with_drafts: int


@dataclass(frozen=True)
class Backtest:
    """The window's sales (``sales`` of them, by ``members`` members), their points as published
    and with the drafts, per rule key (base first, then by key), and how many members would get
    a different number of points."""

    since: datetime
    until: datetime
    sales: int
    members: int
    published: int
    with_drafts: int
    members_changed: int
    rules: list[RuleTotals]


def backtest(db: Database, *, since: datetime, until: datetime, draft_keys: tuple[str, ...] = (),
             rules: tuple[Rule, ...] = (), max_sales: int = 2000) -> Backtest:
    """Evaluate the newest ``max_sales`` sales made from ``since`` to ``until`` again, as
    published and with ``draft_keys``' drafts and the unsaved ``rules`` in their keys' place."""
    problems = [] if isinstance(max_sales, int) and 1 <= max_sales <= MAX_SALES else [
        Problem("max_sales", f"must be a whole number from 1 to {MAX_SALES}")]
    refuse_if(problems + ([] if since < until else [Problem("until", "must be after since")]))
    with db.transaction() as session:
        overlay = replacements(session, draft_keys, rules)
        settings, stores = read_settings(session), programme(session).stores
        sales = _sales(session, since, until, max_sales)
        facts = members_facts(session, {sale.member_pk for sale in sales})
        given: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        per_member: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        drafted: dict[int, object] = {}
        for sale in sales:
            published, _ = compiled_in_force(session, sale.basket.occurred_at)
            if id(published) not in drafted:
                drafted[id(published)] = (published, with_overlay(published, overlay))
            store = stores[sale.basket.store_code]
            sale_as_rules_see_it = sale_facts(store, sale.basket.channel)
            local_day = sale_as_rules_see_it.local(sale.basket.occurred_at).date()
            for column, rule_set in enumerate(drafted[id(published)]):
                usage = usage_for(session, None, facts[sale.member_pk], rule_set, local_day, sale.basket.occurred_at,
                                  with_budgets=False)
                evaluation = RulesCalculator(rule_set, sale=sale_as_rules_see_it, member=facts[sale.member_pk],
                                             usage=usage).evaluate(sale.basket, EarningContext(settings, until))
                for award in evaluation.awards:
                    given[award.rule_key][column] += award.applied
                per_member[sale.member_pk][column] += evaluation.points
        totals = [RuleTotals(key, *given[key]) for key in sorted(given, key=lambda k: (k != "base", k))]
        return Backtest(since, until, len(sales), len(facts), sum(t.published for t in totals),
                        sum(t.with_drafts for t in totals),
                        sum(1 for now, then in per_member.values() if now != then), totals)


@dataclass(frozen=True)
class _Sale:
    basket: Basket
    member_pk: int


def _sales(session, since: datetime, until: datetime, limit: int) -> list[_Sale]:
    """The newest ``limit`` receipts of the window, as the baskets they were."""
    r = ReceiptRow
    receipts = session.execute(
        sa.select(r.id, StoreRow.code, TerminalRow.code, r.receipt_number, r.occurred_at, r.currency,
                  r.paid_with_points_minor, r.member_id, MemberRow.public_id)
        .join(StoreRow, StoreRow.id == r.store_id).join(TerminalRow, TerminalRow.id == r.terminal_id)
        .join(MemberRow, MemberRow.id == r.member_id)
        .where(r.occurred_at >= since, r.occurred_at <= until).order_by(r.occurred_at.desc(), r.id.desc())
        .limit(limit)).all()
    lines: dict[int, list[BasketLine]] = defaultdict(list)
    line = ReceiptLineRow
    for receipt_id, line_no, sku, quantity, amount, category, brand in session.execute(
            sa.select(line.receipt_id, line.line_no, line.sku, line.quantity, line.amount_minor, line.category,
                      line.brand).where(line.receipt_id.in_([row[0] for row in receipts]))
            .order_by(line.receipt_id, line.line_no)):
        lines[receipt_id].append(BasketLine(line_no, sku, Decimal(quantity), amount, category, brand))
    return [_Sale(Basket(store, terminal, number, at, currency, tuple(lines[pk]), paid, member_id=public_id),
                  member_pk)
            for pk, store, terminal, number, at, currency, paid, member_pk, public_id in receipts]
