"""The cashier check against a week of 100,000 carded sales with fraud seeded in: it finds at
least 95 % of the seeded sales and lists at most 1 % of the honest (cashier, card) pairs
(the reference's goal S8).

The honest week: 10 stores with 8 cashiers each (4 on the morning shift, 4 on the
afternoon's); 30,000 members, each shopping at a home store at a usual shift, most a few
times a week and one in ten up to twice a day, at any till of the shift. Fraud: three
cashiers put customers' purchases on their own membership (2, 5 and 25 times: the member's
``cashier`` attribute names them), three on a friend's card (12, 20 and 40 times). Rows are
written straight into ``receipts``, the table the check reads, so that the week takes
seconds to build."""
import random
from datetime import timedelta

import sqlalchemy as sa

from engine import reports
from engine.orm.ledger import ReceiptRow
from engine.orm.members import MemberRow
from engine.orm.rules import MemberAttributeRow
from engine.orm.stores import StoreRow, TerminalRow

STORES, CASHIERS_PER_SHIFT, MEMBERS, SALES = 10, 4, 30_000, 100_000
OWN_CARD = {"S03-C1": 2, "S05-C6": 5, "S08-C3": 25}  # cashier -> sales put on their own card
FRIENDS_CARD = {"S01-C2": 12, "S04-C7": 20, "S09-C0": 40}


def test_the_cashier_check_finds_the_seeded_fraud_and_few_honest_pairs(database, clock, make_terminal, make_store):
    rng = random.Random(8)
    for n in range(STORES):
        store = make_store(f"S{n:02d}")
        for _ in range(3):
            make_terminal(store=store)
    with database.transaction() as session:
        tills = {code: (store_id, [t for t, in session.execute(
            sa.select(TerminalRow.id).where(TerminalRow.store_id == store_id))])
            for code, store_id in session.execute(sa.select(StoreRow.code, StoreRow.id))}
        first_id = (session.scalar(sa.select(sa.func.max(MemberRow.id))) or 0) + 1
        session.execute(sa.insert(MemberRow), [
            dict(id=first_id + n, public_id=f"M{n:07d}", status="active", enrolled_at=clock(), created_at=clock())
            for n in range(MEMBERS)])
        member_ids = [first_id + n for n in range(MEMBERS)]

    def cashier_of(store: str, shift: int) -> str:
        return f"{store}-C{shift * CASHIERS_PER_SHIFT + rng.randrange(CASHIERS_PER_SHIFT)}"

    habits = [(rng.choice(sorted(tills)), rng.randrange(2),
               rng.uniform(5, 14) if rng.random() < 0.1 else rng.uniform(0.5, 4)) for _ in member_ids]
    weights = [visits for _, _, visits in habits]
    sales = []
    for m in rng.choices(range(MEMBERS), weights=weights, k=SALES):
        store, shift, _ = habits[m]
        sold_at = clock() - timedelta(minutes=rng.randrange(7 * 24 * 60))
        sales.append([store, cashier_of(store, shift), member_ids[m], sold_at])
    # the fraud: the card of the cashier (or of their friend) on customers' sales at their till
    seeded = {}
    employees = dict(zip(OWN_CARD, member_ids[:len(OWN_CARD)]))
    friends = dict(zip(FRIENDS_CARD, member_ids[len(OWN_CARD):len(OWN_CARD) + len(FRIENDS_CARD)]))
    for cashier, count in {**OWN_CARD, **FRIENDS_CARD}.items():
        card = employees.get(cashier) or friends[cashier]
        theirs = [sale for sale in sales if sale[1] == cashier and sale[2] != card]
        for sale in rng.sample(theirs, count):
            sale[2] = card
        seeded[(cashier, card)] = count
    with database.transaction() as session:
        session.execute(sa.insert(MemberAttributeRow), [
            dict(member_id=member, name=reports.CASHIER_ATTRIBUTE, value=cashier)
            for cashier, member in employees.items()])
        session.execute(sa.insert(ReceiptRow), [
            dict(store_id=tills[store][0], terminal_id=rng.choice(tills[store][1]), receipt_number=f"R{n}",
                 member_id=member, occurred_at=at, currency="EUR", total_minor=2000, paid_with_points_minor=0,
                 points=20, cashier=cashier) for n, (store, cashier, member, at) in enumerate(sales)])

    listed = reports.cashier_cards(database, as_of=clock(), days=7, min_sales=10, limit=10_000)
    public = {member_ids[n]: f"M{n:07d}" for n in range(MEMBERS)}
    flagged = {(c.cashier, c.member_id) for c in listed}
    found = sum(count for (cashier, card), count in seeded.items() if (cashier, public[card]) in flagged)
    honest_pairs = {(cashier, public[member]) for _, cashier, member, _ in sales} - {
        (cashier, public[card]) for cashier, card in seeded}
    assert found / sum(seeded.values()) >= 0.95
    assert len(flagged & honest_pairs) / len(honest_pairs) <= 0.01
    assert [c.cashier for c in listed if c.own_card] == ["S08-C3", "S05-C6", "S03-C1"]
