"""Two schedulers (each its own connection pool, as two processes would have) run every job
for the same day at the same instant, after three missed days: each (job, as_of) runs once."""
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.database import Database
from engine.jobs.catalogue import JOBS
from engine.jobs.runs import job_history, run_all
from engine.ledger.invariants import check_ledger
from engine.settings import update_settings


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_schedulers_at_once_run_each_job_once_per_day(database, clock, make_member, earn, midnight):
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none"}, now=clock())
    for n in range(20):
        member = make_member(birthday=(clock() + timedelta(days=n % 4)).date().replace(year=1985))
        for age in (40, 33, 31, 29, 5):
            earn(member, 1000 + age + n, occurred_at=clock() - timedelta(days=age))
    start = midnight(2026, 3, 2)
    run_all(database, as_of=start - timedelta(days=1), now=start, worker="yesterday")
    as_of = start + timedelta(days=2)
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def scheduler(name: str) -> None:
        db = Database(str(database.url.render_as_string(hide_password=False)))
        try:
            barrier.wait()
            results[name] = run_all(db, as_of=as_of, now=as_of, worker=name)
        except Exception as error:  # collected: the test fails on any
            errors.append(error)
        finally:
            db.dispose()

    threads = [threading.Thread(target=scheduler, args=(f"scheduler-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    done = Counter((run.job, run.as_of) for runs in results.values() for run in runs if run.status == "done")
    expected = {(job, start + timedelta(days=d)) for job in JOBS for d in (0, 1, 2)}
    assert set(done) == expected and set(done.values()) == {1}
    history = job_history(database, limit=1000)
    assert Counter((r.job, r.as_of) for r in history if r.as_of >= start) == Counter(dict.fromkeys(expected, 1))
    with database.engine.connect() as connection:
        expires_per_member_day = connection.execute(sa.text(
            "SELECT member_id, occurred_at, COUNT(*) FROM ledger_transactions WHERE kind = 'expire' "
            "GROUP BY member_id, occurred_at HAVING COUNT(*) > 1")).all()
        bonuses = connection.scalar(sa.text("SELECT COUNT(*) FROM birthday_bonuses"))
    assert expires_per_member_day == []
    # birthdays on 2, 3 and 4 March, 5 members each; those of the 2nd joined that morning, after
    # the day's instant (as with a daily run), and 5 March is not run yet
    assert bonuses == 10
    assert check_ledger(database) == []
