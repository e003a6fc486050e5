"""``loyalty jobs list | run | history`` and ``loyalty scheduler``: the scheduled jobs by
hand and the process that triggers them.

The scheduler is its own process (never inside the web workers) and only a trigger: it
calls the engine's ``run_all`` once a day (and once at start, which catches up over
every day missed while it was down); the claim in the database makes a second scheduler,
or an operator running a job by hand, harmless.
"""
from __future__ import annotations

import os
import signal
import socket
from datetime import datetime, time
from zoneinfo import ZoneInfo

import click

from cli.ledger import IsoInstant, _as_of
from cli.runtime import Runtime, emit, json_option, pass_runtime, progress_bar
from cli.webhooks import webhooks_tick
from engine.jobs.catalogue import JOBS
from engine.jobs.runs import JobRun, job_history, run_all, run_job
from engine.ledger.holds import release_lapsed_holds
from engine.points_grants import finish_grants
from engine.settings import get_settings


def worker_name() -> str:
    """Who claims a run: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs: list them, run one by hand, see their history."""


@jobs_group.command("list")
@json_option
def list_jobs(as_json: bool) -> None:
    """The jobs the scheduler runs every day, in the order it runs them."""
    emit([{"job": job.name, "description": job.description} for job in JOBS.values()],
         ["job", "description"], as_json=as_json, title="jobs")


@jobs_group.command("run")
@click.argument("job", type=click.Choice([*JOBS, "all"]))
@click.option("--as-of", "as_of", type=IsoInstant(),
              help="Run for this instant (ISO 8601 with a time zone; default: now; never in the future); "
                   "days missed since the job's last run are run first")
@json_option
@pass_runtime
def run_command(runtime: Runtime, job: str, as_of: datetime | None, as_json: bool) -> None:
    """Run JOB (or all jobs) for --as-of, with a progress bar and a summary; a run already
    done for that instant (here or by a scheduler) is skipped."""
    when = _as_of(runtime, as_of)
    worker = f"cli:{worker_name()}"
    if job == "all":
        runs = run_all(runtime.db, as_of=when, now=runtime.now(), worker=worker)
    else:
        with progress_bar(f"{job} as of {when.isoformat()}", hidden=as_json) as progress:
            runs = run_job(runtime.db, job, as_of=when, now=runtime.now(), worker=worker, progress=progress)
    _summary(runs, as_json=as_json)


@jobs_group.command("history")
@click.option("--job", type=click.Choice(list(JOBS)), help="Only this job")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@pass_runtime
def history_command(runtime: Runtime, job: str | None, limit: int, as_json: bool) -> None:
    """The latest runs, newest first: which instant, who ran it, what it did."""
    emit(job_history(runtime.db, job=job, limit=limit),
         ["job", "as_of", "status", "worker", "started_at", "finished_at", "summary", "error"],
         as_json=as_json, title="job runs")


def _summary(runs: list[JobRun], *, as_json: bool) -> None:
    emit(runs, ["job", "as_of", "status", "summary"], as_json=as_json, title="job runs")


def daily_as_of(now: datetime, zone: ZoneInfo) -> datetime:
    """The instant a daily run stands for: the latest midnight (in ``zone``) at or before ``now``."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(), zone)


def scheduled_tick(runtime: Runtime, zone: ZoneInfo) -> list[JobRun]:
    """What the scheduler does each time it fires: every job for today's midnight,
    catching up over the days missed."""
    return run_all(runtime.db, as_of=daily_as_of(runtime.now(), zone), now=runtime.now(),
                   worker=f"scheduler:{worker_name()}")


def finish_grants_tick(runtime: Runtime) -> dict:
    """The scheduler's minutely round: credit what approvals answered before crediting
    (a web request credits for ``LOYALTY_GRANT_CREDIT_SECONDS``) or stopped processes left."""
    done = finish_grants(runtime.db, now=runtime.now())
    if done["members"]:
        click.echo(f"{runtime.now().isoformat()} credited {done['members']:,} members of {done['grants']} "
                   "approved grants")
    return done


def holds_tick(runtime: Runtime) -> int:
    """The scheduler's minutely round for tills: holds past their deadline (a till that never
    captured or voided, its answer lost) give their points back within a minute, not at the
    next day's jobs; returns how many."""
    released = release_lapsed_holds(runtime.db, as_of=runtime.now())
    if released:
        click.echo(f"{runtime.now().isoformat()} released {released} holds past their deadline")
    return released


@click.command("scheduler")
@click.option("--at", "at", default="00:05", show_default=True, metavar="HH:MM",
              help="When to run the day's jobs, in --timezone")
@click.option("--timezone", "timezone", default=None,
              help="IANA time zone of --at and of the day a run stands for (default: the programme's, when it starts)")
@click.option("--once", is_flag=True, help="Run the jobs once (catching up) and exit")
@pass_runtime
def scheduler(runtime: Runtime, at: str, timezone: str | None, once: bool) -> None:
    """Trigger the scheduled jobs every day (APScheduler, in this process only)."""
    try:
        hour, minute = (int(part) for part in at.split(":"))
        time(hour, minute)
        zone = ZoneInfo(timezone) if timezone else None
    except Exception as error:
        raise click.BadParameter(f"{error}", param_hint="'--at' or '--timezone'") from error
    if zone is None:
        zone = ZoneInfo(get_settings(runtime.db).timezone)
        timezone = zone.key

    def tick() -> None:
        runs = scheduled_tick(runtime, zone)
        done = [r for r in runs if r.status == "done"]
        click.echo(f"{runtime.now().isoformat()} ran {len(done)} job runs, skipped {len(runs) - len(done)}")

    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    # A person stops it with Ctrl-C, a service manager with SIGTERM, at any moment, also
    # during the catch-up tick: each job run is one transaction, so nothing is half done, and
    # the stopped day is marked failed, to be run again first by the next start.
    try:
        if not once:  # the long-running scheduler only; from its catch-up tick on, so that a stopped run is marked
            signal.signal(signal.SIGTERM, _exit_on_signal)
        tick()
        if once:
            return
        blocking = BlockingScheduler(timezone=zone)
        blocking.add_job(tick, CronTrigger(hour=hour, minute=minute, timezone=zone), id="daily-jobs",
                         max_instances=1, coalesce=True, misfire_grace_time=3600)
        blocking.add_job(lambda: finish_grants_tick(runtime), IntervalTrigger(minutes=1), id="grants",
                         max_instances=1, coalesce=True)
        blocking.add_job(lambda: webhooks_tick(runtime), IntervalTrigger(minutes=1), id="webhooks",
                         max_instances=1, coalesce=True)
        blocking.add_job(lambda: holds_tick(runtime), IntervalTrigger(minutes=1), id="holds",
                         max_instances=1, coalesce=True)
        click.echo(f"scheduler: jobs every day at {at} {timezone}, approved grants' crediting, webhooks and lapsed "
                   "holds every minute; Ctrl-C stops")
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped", err=True)


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(0)


COMMANDS = (jobs_group, scheduler)
