"""Earning points from a basket.

Guarantees: a receipt (store, terminal, receipt number) earns once, whatever idempotency
key it carries; the points of each line are recorded with the receipt so a refund can
reverse exactly what the returned lines earned; the earned points form one lot, pending
for the programme's pending period from the time of the sale and expiring by its policy.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine.database import Database, is_postgres
from engine.errors import ReceiptAlreadyEarned, refuse_if
from engine.ledger.accounts import LOCKED_AS_SEEN, prepare_posting
from engine.ledger.basket import Basket, EarningContext, PointsCalculator, sale_points_problems, validate_basket
from engine.ledger.commands import PointsEarned
from engine.ledger.idempotency import FirstRead, answer_in_last_write, run_idempotent
from engine.ledger.lots import new_lot
from engine.ledger.parties import card_first_read, member_with_locked_account, till
from engine.ledger.receipts import record_receipt
from engine.orm.members import MemberRow
from engine.programme import lot_expires_at
from engine.rules.calculator import FactsRead, FactsToRead, award_rows, calculator_for_sale, facts_to_read
from engine.rules.campaigns import BudgetClaims, BudgetRanShort
from engine.rules.referrals import pending_referral, reward_referrer, with_referred_bonus
from engine.settings import read_settings
from engine.snapshot import pinned_programme
from engine.tiers.service import upgrade_check, upgrade_on_accrual
from engine.webhooks import record_event


def earn_points(db: Database, basket: Basket, *, caller: str, idempotency_key: str, now: datetime,
                calculator: PointsCalculator | None = None,
                verify: Callable[[Session], None] | None = None, first_read: FirstRead | None = None) -> PointsEarned:
    """Credit the points ``basket`` earns to its member (once per receipt).

    Without ``calculator`` the published earning rules in force at the sale's instant decide
    (on top of the programme's base rate); what each rule version gave, in total and per
    line, is recorded with the receipt and returned in ``rules``. A given calculator (the
    base rate alone, say) replaces the rules and records no breakdown. A member's first
    qualifying purchase also pays the referral bonuses (``engine.rules.referrals``).

    ``verify`` (e.g. the card's proof of presence) runs first inside the same transaction,
    and is not run again when a retry replays the first answer; ``first_read`` (e.g. the card
    session's) reads what it needs first, with the idempotency key's claim
    (``engine.ledger.idempotency.FirstRead``); by default a basket naming a card reads the card,
    its member and the member's account with the claim. A first read joins the member's row
    (``members``) and locks their account (``accounts``): on PostgreSQL it also reads the
    member's facts for the rules (one round trip fewer), unless a sale of the same member
    committed while it waited for the lock.

    On PostgreSQL the campaign budget the rules claim is taken when the sale is written; when
    no slice had room for a claim, nothing was, and the sale runs again in a new transaction
    taking the budget slice by slice (``engine.rules.campaigns``)."""

    def work(session: Session, budget_when_written: bool) -> PointsEarned:
        facts_read = session.info.pop(_FACTS_READ, None)
        if verify is not None:
            verify(session)
        settings = read_settings(session)
        if facts_read is None:  # (else checked before the first read)
            refuse_if(validate_basket(basket, settings, now=now))
        store, terminal = till(session, basket.store_code, basket.terminal_code)
        member, account = member_with_locked_account(session, member_id=basket.member_id,
                                                     card_number=basket.card_number)
        context = EarningContext(settings=settings, as_of=now)
        # the tier window's sum comes with the member's facts: one round trip fewer
        upgrade = upgrade_check(session, member, basket.occurred_at, now) if calculator is None else None
        budgets = BudgetClaims(start=member.id, wanted={}) if budget_when_written and is_postgres(session) else None
        rules_calculator = calculator_for_sale(session, basket, member, store, upgrade=upgrade, budgets=budgets,
                                               read=facts_read) if calculator is None else None
        evaluation = rules_calculator.evaluate(basket, context) if rules_calculator else None
        referral = None
        if evaluation is not None:
            referral = pending_referral(session, member, basket, first_purchase=rules_calculator.member.first_purchase)
            if referral is not None:
                evaluation = with_referred_bonus(evaluation, referral)
        lines = evaluation.lines if evaluation else calculator.points_for(basket, context)
        points = sum(line.points for line in lines)
        refuse_if(sale_points_problems(points))
        available_at = basket.occurred_at + timedelta(days=settings.pending_days)
        expires_at = lot_expires_at(basket.occurred_at, settings)
        posting = prepare_posting(
            session, kind="earn", account=account, member_points=points, system={"issuance": -points},
            occurred_at=basket.occurred_at, now=now,
            description=f"purchase {basket.store_code}/{basket.terminal_code}/{basket.receipt_number}",
            lot=new_lot(account, points, earned_at=basket.occurred_at, available_at=available_at,
                        expires_at=expires_at)) if points else None
        awards = [] if evaluation is None else award_rows(
            rules_calculator, evaluation, member_pk=member.id, occurred_at=basket.occurred_at)
        result = PointsEarned(
            member_id=member.public_id, store_code=store.code, terminal_code=terminal.code,
            receipt_number=basket.receipt_number, points=points, lines=lines,
            available_at=available_at, expires_at=expires_at, transaction_id=None,
            balance=account.balance + points, rules=evaluation.awards if evaluation else [])
        # On PostgreSQL the idempotency key's row, with this answer, goes with the receipt.
        answer = answer_in_last_write(session)
        # When the receipt was taken (a retry under a new key, or a concurrent one), the
        # refusal rolls back everything, the posting written with it included.
        recorded = record_receipt(session, dict(
            store_id=store.id, terminal_id=terminal.id, receipt_number=basket.receipt_number,
            member_id=member.id, occurred_at=basket.occurred_at, currency=basket.currency,
            total_minor=basket.total_minor, paid_with_points_minor=basket.paid_with_points_minor,
            points=points, cashier=basket.cashier), [dict(
                line_no=line.line_no, sku=line.sku, category=line.category, brand=line.brand,
                quantity=line.quantity, amount_minor=line.amount_minor, eligible_minor=earned.eligible_minor,
                points=earned.points) for line, earned in zip(basket.lines, lines)], awards, posting,
            answer=None if answer is None else answer.parameters(result, "transaction_id"), budgets=budgets,
            account_id=account.id)
        if recorded.receipt_id is None:
            raise _receipt_taken(basket)
        if not recorded.budgets_taken:
            raise BudgetRanShort()  # (rolls back the sale, written without its bonus's budget)
        if answer is not None:
            answer.found(recorded.answer_id)
        if points:
            # tiers: immediate upgrade (spend counts this receipt)
            upgrade_on_accrual(session, member, now, check=upgrade, points=points,
                               so_far=rules_calculator.qualifying_so_far if rules_calculator else None)
        if referral is not None:
            reward_referrer(session, referral, receipt_id=recorded.receipt_id, basket=basket, settings=settings,
                            now=now)
        record_event(session, "points.earned", dict(
            member_id=member.public_id, store=store.code, terminal=terminal.code, receipt=basket.receipt_number,
            occurred_at=basket.occurred_at, currency=basket.currency, total_minor=basket.total_minor,
            points=points, available_at=available_at, expires_at=expires_at,
            transaction_id=recorded.transaction_id), now=now)
        assert result.balance == account.balance, "the answer's balance is the account's"
        return replace(result, transaction_id=recorded.transaction_id)

    if first_read is None and basket.card_number is not None:
        first_read = card_first_read(basket.card_number)

    def read_first(session: Session, claim_parameters: dict):
        to_read = _facts_to_read(session, basket, now) if calculator is None else None
        if to_read is None:
            return first_read(session, claim_parameters)
        found = first_read.with_columns((to_read.column(), _FACTS_MEMBER, LOCKED_AS_SEEN),
                                        to_read.parameters)(session, claim_parameters)
        if found is not None and found.locked_as_seen:
            session.info[_FACTS_READ] = FactsRead.from_json(to_read, found.facts_member, found.member_facts)
        return found

    def run(budget_when_written: bool) -> PointsEarned:
        return run_idempotent(db, caller=caller, key=idempotency_key, command="earn", request=basket, now=now,
                              work=lambda session: work(session, budget_when_written), result_type=PointsEarned,
                              first_read=None if first_read is None else read_first)
    try:
        return run(True)
    except BudgetRanShort:
        return run(False)


# On PostgreSQL a till's accrual reads the member's facts with its first read, one round trip
# fewer: the statement joins the member and locks their account. It reads with the snapshot
# it started with, which may predate what a sale of the same member committed while this
# one waited for the lock; then the account's row is not the version the snapshot saw
# (LOCKED_AS_SEEN: every write under the lock makes a new one), and the facts are read again
# after the lock, as without the first read.
_FACTS_READ = "loyalty_member_facts_read"
_FACTS_MEMBER = MemberRow.id.label("facts_member")


def _facts_to_read(session: Session, basket: Basket, now: datetime) -> FactsToRead | None:
    """What the first read reads of the member's facts, for a valid basket of a known store
    (else None: the basket is refused after the read, or its facts are read on their own)."""
    known = pinned_programme(session) if is_postgres(session) else None  # (a till's request: no statement)
    if known is None or validate_basket(basket, read_settings(session), now=now):
        return None
    store = known.stores.get(basket.store_code)
    if store is None:
        return None
    return facts_to_read(session, basket, store, upgrade_check(session, None, basket.occurred_at, now))


def _receipt_taken(basket: Basket) -> ReceiptAlreadyEarned:
    return ReceiptAlreadyEarned(
        f"receipt {basket.receipt_number} of terminal {basket.terminal_code} in store {basket.store_code} "
        "has already earned points")
