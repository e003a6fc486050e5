"""The statements written by hand for PostgreSQL fill every column of the tables they write,
so a column added to one of those tables cannot be left out of them unnoticed."""
import re

import pytest

from engine.ledger.accounts import posting_ctes
from engine.ledger.idempotency import _RECORD_ON_POSTGRESQL, ANSWER_CTE
from engine.ledger.receipts import _record_on_postgresql
from engine.orm.base import Base

STATEMENTS = {"posting": posting_ctes(3, True), "receipt": str(_record_on_postgresql(None, False, 2)),
              "idempotency": str(_RECORD_ON_POSTGRESQL), "answer with the receipt": ANSWER_CTE}
WRITTEN = [(table, columns) for sql in STATEMENTS.values()
           for table, columns in re.findall(r"INSERT INTO (\w+)\s*\(([^)]*)\)", sql)]


def test_the_hand_written_statements_write_the_tables_they_are_meant_to():
    assert sorted(table for table, _ in WRITTEN) == sorted([
        "ledger_transactions", "ledger_entries", "lots", "receipts", "receipt_lines", "receipt_rule_awards",
        "idempotency_keys", "idempotency_keys"])


@pytest.mark.parametrize("table, columns", WRITTEN, ids=[f"{table}-{n}" for n, (table, _) in enumerate(WRITTEN)])
def test_a_hand_written_insert_names_every_column_but_the_generated_id(table, columns):
    named = {column.strip() for column in columns.split(",")}
    assert named == {column.name for column in Base.metadata.tables[table].columns if column.name != "id"}


def test_the_budget_claims_taken_with_the_receipt_update_the_slices_by_columns_they_have():
    updates = re.findall(r"UPDATE (\w+) AS slice SET (\w+) = slice\.(\w+)", STATEMENTS["receipt"])
    assert updates == [("campaign_budget_slices", "used", "used")] * 2  # one claim per campaign
    slices = {column.name for column in Base.metadata.tables["campaign_budget_slices"].columns}
    for column in ("size", "used", "campaign_id", "slice_no"):
        assert re.search(rf"\b{column}\b", STATEMENTS["receipt"]) and column in slices
