"""A receipt is written with its lines and its rule awards (with their points per line), all or
nothing, and with the ledger posting of its points."""
from decimal import Decimal

import sqlalchemy as sa

from engine.ledger.accounts import lock_member_account, prepare_posting
from engine.ledger.lots import new_lot
from engine.ledger.receipts import record_receipt
from engine.orm.ledger import AccountRow, EntryRow, LotRow, ReceiptLineRow, ReceiptRow
from engine.orm.members import MemberRow
from engine.orm.rules import ReceiptRuleAwardRow
from engine.snapshot import programme


def _write(session, member_public_id: str, receipt_number: str, clock) -> int | None:
    store = programme(session).stores["S1"]
    terminal = programme(session).terminals["S1-T1"]
    member_pk = session.scalar(sa.select(MemberRow.id).where(MemberRow.public_id == member_public_id))
    lines = [dict(line_no=n, sku=f"SKU{n}", category="tea" if n == 2 else None, brand=None,
                  quantity=Decimal("1.5"), amount_minor=100 * n, eligible_minor=100 * n, points=n) for n in (1, 2)]
    awards = [dict(member_id=member_pk, rule_version_id=None, rule_key=key, campaign_code=None,
                   local_date=clock().date(), desired=desired, applied=applied, capped_by=capped, line_points=given)
              for key, desired, applied, capped, given in (("base", 3, 3, None, [[1, 1], [2, 2]]),
                                                           ("tea", 9, 4, "per_transaction", [[2, 4]]))]
    return record_receipt(session, dict(
        store_id=store.id, terminal_id=terminal.id, receipt_number=receipt_number, member_id=member_pk,
        occurred_at=clock(), currency="EUR", total_minor=300, paid_with_points_minor=0, points=7, cashier=None),
        lines, awards, account_id=lock_member_account(session, member_pk).id).receipt_id


def _line_points(session) -> list[tuple]:
    return sorted((receipt, rule, line_no, points) for receipt, rule, given in session.execute(
        sa.select(ReceiptRow.receipt_number, ReceiptRuleAwardRow.rule_key, ReceiptRuleAwardRow.line_points)
        .join(ReceiptRow, ReceiptRow.id == ReceiptRuleAwardRow.receipt_id)) for line_no, points in given)


def test_each_rule_s_points_land_on_their_own_award_and_line(database, till, make_member, clock):
    member = make_member()
    with database.transaction() as session:
        receipt_id = _write(session, member.public_id, "R1", clock)
    with database.transaction() as session:
        assert receipt_id is not None
        assert _line_points(session) == [("R1", "base", 1, 1), ("R1", "base", 2, 2), ("R1", "tea", 2, 4)]
        lines = session.execute(sa.select(ReceiptLineRow.line_no, ReceiptLineRow.category, ReceiptLineRow.quantity)
                                .order_by(ReceiptLineRow.line_no)).all()
        assert [tuple(line) for line in lines] == [(1, None, Decimal("1.5")), (2, "tea", Decimal("1.5"))]
        awards = session.execute(sa.select(ReceiptRuleAwardRow.rule_key, ReceiptRuleAwardRow.desired,
                                           ReceiptRuleAwardRow.applied, ReceiptRuleAwardRow.capped_by)
                                 .order_by(ReceiptRuleAwardRow.rule_key)).all()
        assert [tuple(a) for a in awards] == [("base", 3, 3, None), ("tea", 9, 4, "per_transaction")]


def test_a_receipt_taken_already_writes_nothing_of_its_lines_or_awards(database, till, make_member, clock):
    member = make_member()
    with database.transaction() as session:
        _write(session, member.public_id, "R1", clock)
    with database.transaction() as session:
        assert _write(session, member.public_id, "R1", clock) is None
        counts = [session.scalar(sa.select(sa.func.count()).select_from(table)) for table in (
            ReceiptRow, ReceiptLineRow, ReceiptRuleAwardRow)]
        assert counts == [1, 2, 2] and len(_line_points(session)) == 3


def test_a_receipt_written_with_its_posting_refers_to_the_transaction_that_earned_its_points(
        database, till, make_member, clock):
    member = make_member()
    with database.transaction() as session:
        store, terminal = programme(session).stores["S1"], programme(session).terminals["S1-T1"]
        member_pk = session.scalar(sa.select(MemberRow.id).where(MemberRow.public_id == member.public_id))
        account = lock_member_account(session, member_pk)
        posting = prepare_posting(session, kind="earn", account=account, member_points=7, system={"issuance": -7},
                                  occurred_at=clock(), now=clock(), description="purchase S1/S1-T1/R1",
                                  lot=new_lot(account, 7, earned_at=clock(), available_at=clock(), expires_at=None))
        recorded = record_receipt(session, dict(
            store_id=store.id, terminal_id=terminal.id, receipt_number="R1", member_id=member_pk,
            occurred_at=clock(), currency="EUR", total_minor=700, paid_with_points_minor=0, points=7, cashier=None),
            [dict(line_no=1, sku="SKU1", category=None, brand=None, quantity=Decimal(1), amount_minor=700,
                  eligible_minor=700, points=7)], [], posting)
        assert account.balance == 7
    with database.transaction() as session:
        receipt = session.scalar(sa.select(ReceiptRow).where(ReceiptRow.id == recorded.receipt_id))
        assert receipt.transaction_id == recorded.transaction_id is not None
        entries = session.execute(sa.select(EntryRow.amount).where(
            EntryRow.transaction_id == recorded.transaction_id)).scalars().all()
        assert sorted(entries) == [-7, 7]
        assert session.scalar(sa.select(LotRow.amount).where(LotRow.transaction_id == recorded.transaction_id)) == 7
        assert session.scalar(sa.select(AccountRow.balance).where(AccountRow.id == account.id)) == 7
