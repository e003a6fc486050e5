"""The audit log's hash chain: sealing links the entries in id order up to the first written at
or after its instant, once; verifying recomputes every link and names the first entry changed,
removed or slipped in, also when the triggers were got past (as a database owner can)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.audit import record_audit
from engine.audit_chain import GENESIS, seal_audit, verify_audit_chain
from engine.jobs.runs import run_job
from engine.orm.access import AuditEntryRow


@pytest.fixture
def write(database, clock):
    """``write(n)``: n audit entries, one a second from the clock's now."""
    def run(count: int, **entry) -> None:
        for _ in range(count):
            record_audit(database, actor="staff:ada", action="members.write", outcome="ok", now=clock(),
                         target="/v1/staff/members/M1", source="10.0.0.7", detail={"n": 1}, **entry)
            clock.advance(seconds=1)
    return run


def without_triggers(database, sql: str, **parameters) -> None:
    """Run ``sql`` on the audit log past its append-only triggers (dropped first)."""
    with database.transaction() as session:
        for verb in ("update", "delete"):
            on = "" if database.is_sqlite else " ON audit_log"
            session.execute(sa.text(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}{on}"))
        session.execute(sa.text(sql), parameters)


def test_sealing_links_the_entries_written_before_its_instant_once(database, clock, write):
    write(3)
    cut = clock()
    write(2)
    assert seal_audit(database, before=cut) == 3
    assert seal_audit(database, before=cut) == 0
    report = verify_audit_chain(database)
    assert (report.sealed, report.broken_at) == (3, None) and report.head != GENESIS
    assert seal_audit(database, before=clock()) == 2
    assert verify_audit_chain(database).sealed == 5


def test_an_entry_never_waits_behind_a_later_one(database, clock, write):
    write(2)
    record_audit(database, actor="staff:ada", action="x", outcome="ok", now=clock() + timedelta(hours=1))
    write(2)
    assert seal_audit(database, before=clock()) == 2  # the third entry's time has not come: it and all after wait
    assert verify_audit_chain(database).broken_at is None


def test_an_entry_changed_after_sealing_breaks_the_chain_there(database, clock, write):
    write(4)
    seal_audit(database, before=clock())
    without_triggers(database, "UPDATE audit_log SET outcome = 'refused' WHERE id = :id", id=3)
    report = verify_audit_chain(database)
    assert (report.broken_at, report.problem, report.sealed) == (3, "the entry differs from what was sealed", 2)


def test_an_entry_removed_after_sealing_breaks_the_chain_there(database, clock, write):
    write(4)
    seal_audit(database, before=clock())
    without_triggers(database, "DELETE FROM audit_log WHERE id = :id", id=2)
    assert (verify_audit_chain(database).broken_at, verify_audit_chain(database).problem) == \
        (2, "a sealed entry is missing")


def test_an_entry_slipped_in_among_the_sealed_ones_breaks_the_chain_there(database, clock, write):
    with database.transaction() as session:
        for entry_id in (10, 20):
            session.add(AuditEntryRow(id=entry_id, at=clock(), actor="staff:ada", action="x", outcome="ok"))
    seal_audit(database, before=clock() + timedelta(seconds=1))
    with database.transaction() as session:
        session.add(AuditEntryRow(id=15, at=clock(), actor="staff:eve", action="x", outcome="ok"))
    report = verify_audit_chain(database)
    assert (report.broken_at, report.problem) == (15, "an entry without a link among the sealed ones")


def test_the_chain_itself_is_append_only(database, clock, write):
    write(1)
    seal_audit(database, before=clock())
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with database.transaction() as session:
            session.execute(sa.text("UPDATE audit_chain SET link = :link"), {"link": GENESIS})


def test_the_daily_job_seals_the_days_entries_and_reports_the_chain(database, clock, write):
    write(3)
    (run,) = run_job(database, "seal_audit", as_of=clock(), now=clock(), worker="test")
    assert run.summary["sealed"] == run.summary["chain"] == 3 and run.summary["broken_at"] is None
    assert run.summary["head"] == verify_audit_chain(database).head
