"""Running jobs: each (job, ``as_of``) is claimed once in the database, and a run catches
up over every day missed since the job's last run.

Guarantees:
- a run for an ``as_of`` later than ``now`` is refused (a job never acts on the future);
- the claim is the unique row (job, as_of) in ``job_runs``, inserted and committed before
  the work: two schedulers (or a scheduler and an operator) run a job once per ``as_of``;
  a failed run may be claimed again, a done one never;
- on PostgreSQL a job's catch-up loop also holds an advisory lock of its own, so the
  missed days of one job are worked through in order by one process at a time; and so a
  run still marked ``running`` when the lock is ours was left by a process that died (its
  lock went with its connection): it is taken over at once. On SQLite (one process) a
  ``running`` claim older than ``STALE_AFTER`` is taken over;
- catch-up: after a last done run at ``t``, a run for ``as_of`` first runs ``t + 1 day``,
  ``t + 2 days``, ... before ``as_of`` (``catch_up_instants``): three missed days give the
  same result as three daily runs. A day claimed elsewhere stops the catch-up there (the
  later days wait for it), and a run stopped by an exception, Ctrl-C or a stop signal is
  marked failed: no day is left behind a later one that is done.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.database import Database, is_postgres
from engine.errors import Problem, not_found, refuse_if
from engine.jobs.catalogue import JOBS
from engine.orm.jobs import JobRunRow

DAY = timedelta(days=1)
STALE_AFTER = timedelta(hours=6)  # far longer than any job takes on the benchmark's million members


@dataclass(frozen=True)
class JobRun:
    """What happened to one (job, as_of): ``done`` here, or ``skipped`` (claimed elsewhere)."""

    job: str
    as_of: datetime
    status: str
    summary: dict


@dataclass(frozen=True)
class JobRunRecord:
    job: str
    as_of: datetime
    status: str
    worker: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict | None
    error: str | None


def catch_up_instants(last_done: datetime | None, as_of: datetime) -> list[datetime]:
    """The policy: the instants to run for ``as_of`` after a last done run at ``last_done``."""
    instants = []
    if last_done is not None:
        moment = last_done + DAY
        while moment < as_of:
            instants.append(moment)
            moment += DAY
    return instants + [as_of]


def run_job(db: Database, name: str, *, as_of: datetime, now: datetime, worker: str,
            progress: Callable[[int, int], None] | None = None) -> list[JobRun]:
    """Run job ``name`` for ``as_of`` and every day missed before it; one entry per instant."""
    if name not in JOBS:
        raise not_found("job", name)
    refuse_if([Problem("as_of", f"{as_of.isoformat()} is in the future (now is {now.isoformat()})")]
              if as_of > now else [])
    runs = []
    with _job_lock(db, name):
        with db.transaction() as session:
            last = session.scalar(sa.select(sa.func.max(JobRunRow.as_of)).where(
                JobRunRow.job == name, JobRunRow.status == "done", JobRunRow.as_of < as_of))
        for moment in catch_up_instants(last, as_of):
            if not _claim(db, name, moment, worker, now):
                # another process has this day (on SQLite, or one that died there not long
                # ago): the days after it wait for it, since a day done after a later one
                # would never be run again by a catch-up, which starts after the last done day
                runs.append(JobRun(name, moment, "skipped", {}))
                break
            try:
                summary = JOBS[name].run(db, moment, progress)
            except BaseException as error:  # an operator's Ctrl-C or a stop signal too: the day stays to do
                _finish(db, name, moment, now, status="failed", error=f"{type(error).__name__}: {error}"[:2000])
                raise
            _finish(db, name, moment, now, status="done", summary=summary)
            runs.append(JobRun(name, moment, "done", summary))
    return runs


def run_all(db: Database, *, as_of: datetime, now: datetime, worker: str) -> list[JobRun]:
    """Every job for ``as_of``, catching up day by day: all jobs for one missed day, in the
    catalogue's order (holds released before expiry, expiry before its warnings), then
    the next day, so a late catch-up sees each day as the daily runs would have."""
    refuse_if([Problem("as_of", f"{as_of.isoformat()} is in the future (now is {now.isoformat()})")]
              if as_of > now else [])
    with db.transaction() as session:
        lasts = [session.scalar(sa.select(sa.func.max(JobRunRow.as_of)).where(
            JobRunRow.job == name, JobRunRow.status == "done", JobRunRow.as_of < as_of)) for name in JOBS]
    earliest = None if any(last is None for last in lasts) else min(lasts)
    return [run for moment in catch_up_instants(earliest, as_of) for name in JOBS
            for run in run_job(db, name, as_of=moment, now=now, worker=worker)]


def job_history(db: Database, *, job: str | None = None, limit: int = 50) -> list[JobRunRecord]:
    """The latest runs (newest first), of one job or of all."""
    query = sa.select(JobRunRow).order_by(JobRunRow.as_of.desc(), JobRunRow.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRunRow.job == job)
    with db.transaction() as session:
        return [JobRunRecord(r.job, r.as_of, r.status, r.worker, r.started_at, r.finished_at,
                             json.loads(r.summary) if r.summary else None, r.error)
                for r in session.scalars(query)]


def _claim(db: Database, name: str, as_of: datetime, worker: str, now: datetime) -> bool:
    with db.transaction() as session:
        insert = postgresql.insert if is_postgres(session) else sqlite.insert
        claimed = session.execute(insert(JobRunRow).values(
            job=name, as_of=as_of, status="running", worker=worker[:100], started_at=now)
            .on_conflict_do_nothing(index_elements=["job", "as_of"]).returning(JobRunRow.id)).scalar()
        if claimed is None:  # a failed run may be tried again, and so may one whose process died
            abandoned = JobRunRow.status == "running"
            if db.is_sqlite:
                abandoned = sa.and_(abandoned, JobRunRow.started_at < now - STALE_AFTER)
            claimed = session.execute(sa.update(JobRunRow).where(
                JobRunRow.job == name, JobRunRow.as_of == as_of, sa.or_(JobRunRow.status == "failed", abandoned))
                .values(status="running", worker=worker[:100], started_at=now, error=None)
                .returning(JobRunRow.id)).scalar()
        return claimed is not None


def _finish(db: Database, name: str, as_of: datetime, now: datetime, *, status: str,
            summary: dict | None = None, error: str | None = None) -> None:
    with db.transaction() as session:
        session.execute(sa.update(JobRunRow).where(JobRunRow.job == name, JobRunRow.as_of == as_of)
                        .values(status=status, finished_at=now, error=error,
                                summary=json.dumps(summary) if summary is not None else None))


@contextmanager
def _job_lock(db: Database, name: str) -> Iterator[None]:
    if db.is_sqlite:
        yield
        return
    key = int.from_bytes(hashlib.sha256(f"loyalty-job:{name}".encode()).digest()[:8], "big", signed=True)
    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
