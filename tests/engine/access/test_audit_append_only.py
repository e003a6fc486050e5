import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from engine.audit import list_audit, record_audit
from engine.orm.access import AuditEntryRow


def test_entries_are_listed_newest_first_and_filtered(database, clock):
    record_audit(database, actor="staff:ada", action="GET /v1/staff/members", outcome="200", now=clock())
    record_audit(database, actor="anonymous", action="GET /v1/member/balance", outcome="401", now=clock(),
                 detail={"error": "invalid_token"}, source="10.0.0.1")
    assert [e.actor for e in list_audit(database)] == ["anonymous", "staff:ada"]
    [entry] = list_audit(database, actor="anonymous")
    assert (entry.outcome, entry.source, entry.detail) == ("401", "10.0.0.1", {"error": "invalid_token"})
    assert [e.actor for e in list_audit(database, action="GET /v1/staff/members")] == ["staff:ada"]


def test_long_values_are_cut_to_fit_rather_than_lost(database, clock):
    record_audit(database, actor="x" * 500, action="y" * 500, outcome="z" * 100, target="t" * 500, now=clock())
    [entry] = list_audit(database)
    assert (len(entry.actor), len(entry.action), len(entry.outcome), len(entry.target)) == (100, 100, 40, 200)


@pytest.mark.parametrize("statement", [sa.update(AuditEntryRow).values(outcome="200"), sa.delete(AuditEntryRow)],
                         ids=["update", "delete"])
def test_the_database_refuses_to_change_or_remove_an_entry(database, clock, statement):
    record_audit(database, actor="anonymous", action="GET /v1/staff/audit", outcome="401", now=clock())
    with pytest.raises(DatabaseError, match="append-only"):
        with database.transaction() as session:
            session.execute(statement)
    assert [e.outcome for e in list_audit(database)] == ["401"]
