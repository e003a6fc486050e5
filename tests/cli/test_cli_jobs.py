import pytest

from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from tests.support.snapshot import contents_but_audit

pytestmark = pytest.mark.usefixtures("cli_clock")


def test_the_expiry_job_expires_due_points_once(run_cli, database, clock, make_member):
    member = make_member(points=100)  # earned 2026-03-02: they expire at the end of March 2028
    make_member(points=50)
    clock.advance(days=800)
    first = run_cli("expire")
    assert first.exit_code == 0, first.output
    assert "expired 150 points from 2 lots of 2 members (as of 2028-05-10T10:00:00+00:00)" in first.output
    assert get_balance(database, member.public_id, as_of=clock()).balance == 0
    second = run_cli("expire")
    assert "expired 0 points from 0 lots of 0 members" in second.output
    assert check_ledger(database) == []


def test_the_expiry_job_runs_for_the_instant_asked(run_cli, clock, make_member):
    make_member(points=100)
    clock.advance(days=800)
    early = run_cli("expire", "--as-of", "2028-03-31T23:59:59+00:00")
    assert early.exit_code == 0 and "expired 0 points" in early.output
    due = run_cli("expire", "--as-of", "2028-04-01T02:00:00+02:00")
    assert due.exit_code == 0 and "expired 100 points from 1 lots of 1 members (as of 2028-04-01T00:00:00+00:00)" \
        in due.output


def test_idempotency_keys_are_purged_after_the_retention(run_cli, database, clock, make_member):
    make_member(points=100)  # the funding adjustment left one key
    clock.advance(days=29)
    make_member(points=100)
    clock.advance(days=2)
    result = run_cli("purge-keys")
    assert result.exit_code == 0 and "purged 1 idempotency key (as of 2026-04-02T10:00:00+00:00)" in result.output
    assert len(contents_but_audit(database)["idempotency_keys"]) == 1
    assert "purged 0 idempotency keys" in run_cli("purge-keys").output


@pytest.mark.parametrize("job", [("expire",), ("purge-keys",), ("holds", "release-lapsed")],
                         ids=["expire", "purge-keys", "release-lapsed"])
def test_a_job_for_an_instant_in_the_future_is_a_usage_error_and_does_nothing(run_cli, database, make_member, job):
    make_member(points=100)
    before = contents_but_audit(database)
    result = run_cli(*job, "--as-of", "2026-03-02T10:00:01Z")
    assert result.exit_code == 2
    assert "2026-03-02T10:00:01+00:00 lies in the future (now is 2026-03-02T10:00:00+00:00)" in result.output
    assert contents_but_audit(database) == before


@pytest.mark.parametrize("as_of, message", [
    ("2026-03-01T10:00:00", "'2026-03-01T10:00:00' has no time zone; add one, e.g. +01:00 or Z"),
    ("yesterday", "'yesterday' is not an ISO 8601 instant such as 2026-03-02T10:15:00+01:00"),
], ids=["no time zone", "not an instant"])
def test_an_as_of_that_is_not_an_instant_is_a_usage_error(run_cli, as_of, message):
    result = run_cli("expire", "--as-of", as_of)
    assert result.exit_code == 2 and message in result.output
