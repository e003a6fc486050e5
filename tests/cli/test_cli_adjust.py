import pytest

from engine.ledger.balances import get_balance, get_history
from engine.ledger.invariants import check_ledger
from tests.support.assertions import contents_without_traces
from tests.support.snapshot import contents_but_audit

pytestmark = pytest.mark.usefixtures("cli_clock")


def test_a_credit_and_a_debit_keep_their_reason_and_actor(run_json, database, clock, make_member):
    member = make_member()
    credit = run_json("adjust", member.public_id, "100", "--reason", "goodwill: late delivery",
                      "--actor", "ops-anna", "--key", "adjust-1")
    assert (credit["points"], credit["balance"], credit["actor"]) == (100, 100, "ops-anna")
    debit = run_json("adjust", member.public_id, "-30", "--reason", "duplicate credit", "--actor", "ops-ben",
                     "--key", "adjust-2")
    assert (debit["points"], debit["balance"]) == (-30, 70)
    latest, first = get_history(database, member.public_id)
    assert (latest.kind, latest.points, latest.description, latest.actor) == (
        "adjust", -30, "duplicate credit", "ops-ben")
    assert (first.points, first.description, first.actor) == (100, "goodwill: late delivery", "ops-anna")
    assert get_balance(database, member.public_id, as_of=clock()).available == 70
    assert check_ledger(database) == []


def test_negative_points_are_read_as_a_number_wherever_they_stand(run_cli, run_json, make_member):
    member = make_member(points=100)
    after_options = run_json("adjust", "--reason", "correction", "--actor", "ops", "--key", "adjust-1",
                             member.public_id, "-50")
    assert after_options["balance"] == 50
    after_separator = run_cli("adjust", "--reason", "correction", "--actor", "ops", "--key", "adjust-2",
                              "--", member.public_id, "-5")
    assert after_separator.exit_code == 0
    assert ["balance", "45"] in [line.split() for line in after_separator.output.splitlines()]


def test_a_debit_of_more_points_than_the_member_has_is_refused_and_changes_nothing(run_cli, database,
                                                                                   make_member):
    member = make_member(points=40)
    before = contents_without_traces(database)
    result = run_cli("adjust", member.public_id, "-50", "--reason", "correction", "--actor", "ops",
                     "--key", "adjust-1")
    assert result.exit_code == 1
    assert f"member {member.public_id} has 40 points that can be taken; the adjustment asks for 50 " \
           "[insufficient_points]" in result.output
    assert contents_without_traces(database) == before


def test_an_adjustment_for_an_unknown_member_is_refused_and_changes_nothing(run_cli, database):
    before = contents_without_traces(database)
    result = run_cli("adjust", "MNOSUCHMEMBER", "10", "--reason", "goodwill", "--actor", "ops", "--key", "a-1")
    assert result.exit_code == 1 and "unknown member 'MNOSUCHMEMBER' [unknown_member]" in result.output
    assert contents_without_traces(database) == before


def test_zero_points_or_a_blank_reason_are_refused(run_cli, database, make_member):
    member = make_member()
    before = contents_without_traces(database)
    zero = run_cli("adjust", member.public_id, "0", "--reason", "nothing", "--actor", "ops", "--key", "a-1")
    assert zero.exit_code == 1 and "points: must be a non-zero whole number" in zero.output
    blank = run_cli("adjust", member.public_id, "10", "--reason", "", "--actor", "ops", "--key", "a-2")
    assert blank.exit_code == 1 and "reason: is required" in blank.output
    assert contents_without_traces(database) == before


@pytest.mark.parametrize("args, message", [
    (("10", "--actor", "ops"), "Missing option '--reason'"),
    (("ten", "--reason", "x", "--actor", "ops"), "'ten' is not a valid integer"),
    (("-1.5", "--reason", "x", "--actor", "ops"), "'-1.5' is not a valid integer"),
], ids=["no reason", "points that are not a number", "points that are not whole"])
def test_an_adjustment_that_cannot_be_read_is_a_usage_error(run_cli, database, make_member, args, message):
    member = make_member()
    before = contents_but_audit(database)
    result = run_cli("adjust", member.public_id, *args)
    assert result.exit_code == 2 and message in result.output
    assert contents_but_audit(database) == before


def test_the_same_key_with_a_different_adjustment_is_refused_and_a_true_retry_replays(run_cli, database,
                                                                                     make_member):
    member = make_member()
    args = ("adjust", member.public_id, "25", "--reason", "goodwill", "--actor", "ops", "--key", "adjust-1")
    first = run_cli(*args)
    before = contents_but_audit(database)
    retry = run_cli(*args)
    assert retry.exit_code == 0 and retry.output == first.output
    other = run_cli("adjust", member.public_id, "250", "--reason", "goodwill", "--actor", "ops",
                    "--key", "adjust-1")
    assert other.exit_code == 1
    assert "idempotency key 'adjust-1' was already used for a different adjust request" in other.output
    assert contents_but_audit(database) == before
