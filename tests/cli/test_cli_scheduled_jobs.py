from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cli.jobs import daily_as_of, finish_grants_tick, holds_tick
from cli.runtime import Runtime
from engine.jobs.catalogue import JOBS
from engine.jobs.runs import job_history
from engine.ledger.balances import get_balance
from engine.ledger.commands import PlaceHold
from engine.ledger.holds import place_hold
from engine.points_grants import GrantPoints, request_grant
from engine.rules.segments import create_segment
from engine.settings import update_settings
from tests.support.grants import approved_but_not_credited


def test_jobs_list_names_every_job(run_json):
    assert [row["job"] for row in run_json("jobs", "list")] == list(JOBS)


def test_a_job_run_by_hand_prints_a_summary_and_is_not_run_twice(run_cli, run_json, cli_clock, database):
    as_of = (cli_clock() - timedelta(days=1)).isoformat()
    first = run_cli("jobs", "run", "expire", "--as-of", as_of)
    assert first.exit_code == 0, first.output
    assert "done" in first.output
    [again] = run_json("jobs", "run", "expire", "--as-of", as_of)
    assert again["status"] == "skipped"
    [record] = run_json("jobs", "history", "--job", "expire")
    assert record["status"] == "done" and record["worker"].startswith("cli:")


def test_running_all_jobs_catches_up_over_missed_days(run_json, cli_clock, database):
    start = cli_clock() - timedelta(days=3)
    run_json("jobs", "run", "all", "--as-of", start.isoformat())
    runs = run_json("jobs", "run", "all", "--as-of", cli_clock().isoformat())
    assert len(runs) == 3 * len(JOBS) and {r["status"] for r in runs} == {"done"}


def test_a_run_in_the_future_is_refused(run_cli, cli_clock):
    result = run_cli("jobs", "run", "expire", "--as-of", (cli_clock() + timedelta(days=1)).isoformat())
    assert result.exit_code != 0 and "future" in result.output


def test_the_scheduler_once_runs_every_job_for_todays_midnight(run_cli, cli_clock, database):
    result = run_cli("scheduler", "--once", "--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    midnight = daily_as_of(cli_clock(), ZoneInfo("Europe/Berlin"))
    assert {(r.job, r.as_of) for r in job_history(database)} == {(job, midnight) for job in JOBS}
    again = run_cli("scheduler", "--once", "--timezone", "Europe/Berlin")
    assert "ran 0 job runs" in again.output


def test_the_daily_instant_is_the_last_local_midnight():
    berlin = ZoneInfo("Europe/Berlin")
    assert daily_as_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), berlin) == datetime(2027, 1, 1, tzinfo=berlin)


def test_the_schedulers_minutely_round_credits_what_grant_approvals_left(database, clock, make_member):
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(database, GrantPoints("apology", 300, "outage", "sam"), caller="staff:sam",
                          idempotency_key="ask", now=clock())
    approved_but_not_credited(database, grant.grant_id, members)
    runtime = Runtime(str(database.url), clock=clock)
    assert finish_grants_tick(runtime) == {"grants": 1, "members": 2}
    assert [get_balance(database, m.public_id, as_of=clock()).balance for m in members] == [300, 300]
    assert finish_grants_tick(runtime) == {"grants": 0, "members": 0}


def test_the_schedulers_minutely_round_gives_back_the_points_of_holds_past_their_deadline(database, clock, make_member,
                                                                                          till):
    ada = make_member(points=500)
    place_hold(database, PlaceHold(till.store_code, till.code, 400, member_id=ada.public_id), caller="S1-T1",
               idempotency_key="pay", now=clock())
    runtime = Runtime(str(database.url), clock=clock)
    assert holds_tick(runtime) == 0
    clock.advance(minutes=16)  # the till never captured nor voided: the deadline (15 minutes) passed
    assert holds_tick(runtime) == 1
    assert get_balance(database, ada.public_id, as_of=clock()).available == 500
    assert holds_tick(runtime) == 0


def test_the_scheduler_counts_days_in_the_programmes_time_zone_unless_told_otherwise(run_cli, cli_clock, database):
    update_settings(database, {"timezone": "America/New_York"}, now=cli_clock())
    assert run_cli("scheduler", "--once").exit_code == 0
    midnight = daily_as_of(cli_clock(), ZoneInfo("America/New_York"))
    assert {r.as_of for r in job_history(database)} == {midnight}
