from datetime import timedelta

import pytest

from engine.errors import InvalidInput, NotFound
from engine.jobs.catalogue import JOBS
from engine.jobs.runs import STALE_AFTER, catch_up_instants, job_history, run_all, run_job
from engine.ledger.invariants import check_ledger
from engine.orm.jobs import JobRunRow
from engine.settings import update_settings
from tests.support.snapshot import table_contents


def busy_programme(clock, make_member, earn, database):
    """Members with due lots, points expiring soon, a birthday today and old keys."""
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none"}, now=clock())
    for n in range(4):
        member = make_member(birthday=(clock() + timedelta(days=n)).date().replace(year=1990))
        for age in (50, 31, 20, 3):
            earn(member, 1500 + n * 100 + age, occurred_at=clock() - timedelta(days=age))


def test_every_job_is_listed_with_what_it_does():
    assert set(JOBS) == {"release_holds", "expire", "expiry_warnings", "birthday_bonus", "grants", "tier_review",
                         "customer_value", "unconfirmed_sign_ups", "close_months", "seal_audit", "purge_keys"}
    assert all(job.description for job in JOBS.values())


@pytest.mark.parametrize("name", sorted(JOBS))
def test_a_second_run_for_the_same_as_of_changes_nothing(database, clock, make_member, earn, run, name):
    busy_programme(clock, make_member, earn, database)
    as_of = clock() + timedelta(days=40)
    [first] = run(name, as_of)
    assert first.status == "done"
    after_first = table_contents(database)
    [second] = run(name, as_of)
    assert second.status == "skipped"
    assert table_contents(database) == after_first
    JOBS[name].run(database, as_of, None)  # the engine function itself is idempotent too
    contents = table_contents(database)
    assert {t: rows for t, rows in contents.items() if t != "job_runs"} == \
        {t: rows for t, rows in after_first.items() if t != "job_runs"}
    assert check_ledger(database) == []


def test_the_jobs_did_something_on_a_busy_day(database, clock, make_member, earn, run):
    busy_programme(clock, make_member, earn, database)
    as_of = clock()
    summaries = {name: run(name, as_of)[0].summary for name in JOBS}
    assert summaries["expire"]["lots"] == 8  # the 50- and 31-day-old lots of 4 members
    assert summaries["birthday_bonus"] == {"members": 1, "points": 100}
    assert summaries["expiry_warnings"]["messages"] == 8  # the 20- and 3-day-old lots of 4 members


@pytest.mark.parametrize("name", sorted(JOBS))
def test_three_missed_days_in_one_run_give_what_three_daily_runs_give(
        database, clock, make_member, earn, run, ledger_rows, name):
    busy_programme(clock, make_member, earn, database)
    start = clock().replace(hour=0)
    run(name, start)
    daily = run_job(database, name, as_of=start + timedelta(days=3), now=start + timedelta(days=3),
                    worker="tests")
    assert [r.as_of for r in daily] == [start + timedelta(days=d) for d in (1, 2, 3)]
    assert all(r.status == "done" for r in daily)
    assert check_ledger(database) == []


def test_catching_up_equals_running_daily_on_a_twin_database(
        sqlite_db, tmp_path, clock, ledger_rows, midnight):
    from engine import members, schema, stores
    from engine.database import Database
    from engine.ledger.basket import Basket, BasketLine
    from engine.ledger.earning import earn_points
    from decimal import Decimal
    from datetime import date
    twin = Database(f"sqlite:///{tmp_path}/twin.db")
    schema.upgrade(twin)

    def setup(db):
        update_settings(db, {"expiry_months": 1, "expiry_rounding": "none", "timezone": "UTC"}, now=clock())
        stores.create_store(db, code="S1", name="Store", timezone="UTC", now=clock())
        stores.create_terminal(db, code="S1-T1", store_code="S1", now=clock())
        for n in range(3):
            member = members.enrol_member(db, full_name=f"M{n}", email=f"m{n}@example.org", now=clock(),
                                          birthday=date(1990, 3, 3 + n))
            for age in (31, 30, 29, 28, 2):
                earn_points(db, Basket(store_code="S1", terminal_code="S1-T1", receipt_number=f"{n}-{age}",
                                       occurred_at=clock() - timedelta(days=age), currency="EUR",
                                       lines=(BasketLine(1, "X", Decimal(1), 1000 + age),),
                                       paid_with_points_minor=0, member_id=member.public_id),
                            caller="S1-T1", idempotency_key=f"{n}-{age}", now=clock())
    setup(sqlite_db)
    setup(twin)
    start = midnight(2026, 3, 2)
    for db in (sqlite_db, twin):
        for name in JOBS:
            run_job(db, name, as_of=start, now=start, worker="tests")
    for day in (1, 2, 3):
        run_all(sqlite_db, as_of=start + timedelta(days=day), now=start + timedelta(days=day), worker="daily")
    caught_up = run_all(twin, as_of=start + timedelta(days=3), now=start + timedelta(days=3), worker="late")
    assert [(r.as_of, r.status) for r in caught_up if r.job == "expire"] == \
        [(start + timedelta(days=day), "done") for day in (1, 2, 3)]
    assert ledger_rows(twin) == ledger_rows(sqlite_db)
    assert any(row[0] == "expire" for row in ledger_rows(twin)["transactions"])
    assert len(ledger_rows(twin)["birthday_bonuses"]) == 3  # 3, 4 and 5 March
    assert check_ledger(twin) == []


def test_the_catch_up_policy_runs_every_missed_day_then_the_as_of(midnight):
    last = midnight(2026, 12, 28)
    assert catch_up_instants(last, midnight(2026, 12, 31)) == [midnight(2026, 12, d) for d in (29, 30, 31)]
    assert catch_up_instants(None, midnight(2026, 12, 31)) == [midnight(2026, 12, 31)]
    assert catch_up_instants(last, last) == [last]


def test_a_run_for_the_future_is_refused(database, clock):
    with pytest.raises(InvalidInput):
        run_job(database, "expire", as_of=clock() + timedelta(seconds=1), now=clock(), worker="tests")
    assert job_history(database) == []


def test_an_unknown_job_is_refused(database, clock):
    with pytest.raises(NotFound):
        run_job(database, "make_coffee", as_of=clock(), now=clock(), worker="tests")


def test_a_failed_run_is_recorded_and_can_be_run_again(database, clock, monkeypatch):
    def broken(db, as_of, progress):
        raise RuntimeError("disk full")
    from engine.jobs import catalogue
    original = catalogue.JOBS["purge_keys"]
    monkeypatch.setitem(catalogue.JOBS, "purge_keys", catalogue.Job("purge_keys", "broken", broken))
    with pytest.raises(RuntimeError):
        run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    [failed] = job_history(database, job="purge_keys")
    assert (failed.status, failed.error) == ("failed", "RuntimeError: disk full")
    monkeypatch.setitem(catalogue.JOBS, "purge_keys", original)
    [again] = run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    assert again.status == "done"
    assert job_history(database, job="purge_keys")[0].status == "done"


def abandoned_run(database, name: str, as_of, started_at) -> None:
    """A claim left ``running`` by a scheduler that died mid-run."""
    with database.transaction() as session:
        session.add(JobRunRow(job=name, as_of=as_of, status="running", worker="crashed", started_at=started_at))


def test_a_run_left_unfinished_by_a_dead_process_is_taken_over(database, clock, run):
    as_of = clock()
    abandoned_run(database, "purge_keys", as_of, started_at=as_of - STALE_AFTER - timedelta(minutes=1))
    [taken] = run("purge_keys", as_of)
    assert taken.status == "done"
    [record] = job_history(database, job="purge_keys")
    assert (record.status, record.worker) == ("done", "tests")


def test_a_recent_running_claim_is_left_alone_on_the_embedded_database(sqlite_db, clock):
    as_of = clock()
    abandoned_run(sqlite_db, "purge_keys", as_of, started_at=as_of - timedelta(minutes=5))
    [skipped] = run_job(sqlite_db, "purge_keys", as_of=as_of, now=as_of, worker="tests")
    assert skipped.status == "skipped"


def test_on_postgres_a_running_claim_whose_lock_is_free_is_taken_over_at_once(postgres_db, clock):
    # a live run holds the job's advisory lock; getting the lock proves its process is gone
    as_of = clock()
    abandoned_run(postgres_db, "purge_keys", as_of, started_at=as_of - timedelta(minutes=5))
    [taken] = run_job(postgres_db, "purge_keys", as_of=as_of, now=as_of, worker="tests")
    assert taken.status == "done"


def test_a_catch_up_waits_behind_a_day_another_process_has_and_resumes_there(sqlite_db, clock, midnight):
    # a scheduler killed mid-run on SQLite leaves its day running, taken over only when stale:
    # the days after it wait, so that the missed day is not left behind a later one that is done
    first = midnight(2026, 3, 2)
    run_job(sqlite_db, "purge_keys", as_of=first, now=first, worker="tests")
    abandoned_run(sqlite_db, "purge_keys", first + timedelta(days=1), started_at=first + timedelta(days=3))
    later = first + timedelta(days=3, hours=1)
    runs = run_job(sqlite_db, "purge_keys", as_of=later, now=later, worker="tests")
    assert [(r.as_of, r.status) for r in runs] == [(first + timedelta(days=1), "skipped")]
    stale = later + STALE_AFTER
    runs = run_job(sqlite_db, "purge_keys", as_of=later, now=stale, worker="tests")
    assert [(r.as_of, r.status) for r in runs] == [(first + timedelta(days=d), "done") for d in (1, 2, 3)] + [
        (later, "done")]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit], ids=["ctrl-c", "stop signal"])
def test_a_run_stopped_by_ctrl_c_or_a_stop_signal_is_marked_failed_and_run_again(database, clock, monkeypatch, stop):
    def interrupted(db, as_of, progress):
        raise stop  # what the scheduler's SIGTERM handler raises, or Ctrl-C
    from engine.jobs import catalogue
    original = catalogue.JOBS["purge_keys"]
    monkeypatch.setitem(catalogue.JOBS, "purge_keys", catalogue.Job("purge_keys", "interrupted", interrupted))
    with pytest.raises(stop):
        run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    assert job_history(database, job="purge_keys")[0].status == "failed"
    monkeypatch.setitem(catalogue.JOBS, "purge_keys", original)
    [again] = run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    assert again.status == "done"
