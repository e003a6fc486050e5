import pytest

from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from tests.support.assertions import contents_without_traces
from tests.support.snapshot import contents_but_audit

pytestmark = pytest.mark.usefixtures("cli_clock", "till")

AT_THE_TILL = ("--store", "S1", "--terminal", "S1-T1")


@pytest.fixture
def place(run_json):
    def run(points: int, *member: str, key: str = "place-1") -> dict:
        return run_json("holds", "place", *AT_THE_TILL, "--points", str(points), *member, "--key", key)
    return run


def test_a_hold_placed_by_card_is_captured_in_part_and_the_rest_is_released(run_json, database, clock, place,
                                                                             make_member, make_card):
    member = make_member(points=500)
    card = make_card(member)
    hold = place(300, "--card", card.number)
    assert (hold["member_id"], hold["points"], hold["value_minor"], hold["available"]) == (
        member.public_id, 300, 300, 200)
    assert hold["deadline"] == "2026-03-02T10:15:00+00:00"
    captured = run_json("holds", "capture", hold["hold_id"], "--points", "120", "--receipt", "R9",
                        "--key", "capture-1")
    assert (captured["points"], captured["released"], captured["value_minor"], captured["balance"]) == (
        120, 180, 120, 380)
    balance = get_balance(database, member.public_id, as_of=clock())
    assert (balance.available, balance.reserved) == (380, 0)
    assert check_ledger(database) == []


def test_a_voided_hold_gives_all_its_points_back(run_json, database, clock, place, make_member):
    member = make_member(points=500)
    hold = place(200, "--member", member.public_id)
    assert get_balance(database, member.public_id, as_of=clock()).available == 300
    voided = run_json("holds", "void", hold["hold_id"], "--key", "void-1")
    assert (voided["released"], voided["member_id"]) == (200, member.public_id)
    assert get_balance(database, member.public_id, as_of=clock()).available == 500
    assert check_ledger(database) == []


def test_a_hold_for_more_points_than_are_available_is_refused_and_changes_nothing(run_cli, database,
                                                                                   make_member):
    member = make_member(points=100)
    before = contents_without_traces(database)
    result = run_cli("holds", "place", *AT_THE_TILL, "--points", "101", "--member", member.public_id,
                     "--key", "k-1")
    assert result.exit_code == 1
    assert f"member {member.public_id} has 100 points available; 101 were asked for [insufficient_points]" \
        in result.output
    assert contents_without_traces(database) == before


def test_a_hold_for_an_unknown_member_is_refused_and_changes_nothing(run_cli, database):
    before = contents_without_traces(database)
    result = run_cli("holds", "place", *AT_THE_TILL, "--points", "10", "--member", "MNOSUCHMEMBER",
                     "--key", "k-1")
    assert result.exit_code == 1 and "[unknown_member]" in result.output
    assert contents_without_traces(database) == before


def test_a_hold_resolves_once_and_a_second_resolution_is_refused(run_cli, database, place, make_member):
    hold = place(100, "--member", make_member(points=100).public_id)
    assert run_cli("holds", "capture", hold["hold_id"], "--key", "capture-1").exit_code == 0
    before = contents_without_traces(database)
    void = run_cli("holds", "void", hold["hold_id"], "--key", "void-1")
    again = run_cli("holds", "capture", hold["hold_id"], "--key", "capture-2")
    for result, action in ((void, "voided"), (again, "captured")):
        assert result.exit_code == 1
        assert f"hold {hold['hold_id']} was already captured; it cannot be {action} [hold_already_resolved]" \
            in result.output
    assert contents_without_traces(database) == before
    assert check_ledger(database) == []


def test_retrying_a_capture_with_its_key_replays_the_first_answer(run_cli, database, place, make_member):
    hold = place(100, "--member", make_member(points=100).public_id)
    first = run_cli("holds", "capture", hold["hold_id"], "--key", "capture-1")
    before = contents_but_audit(database)
    retry = run_cli("holds", "capture", hold["hold_id"], "--key", "capture-1")
    assert retry.exit_code == 0 and retry.output == first.output
    assert contents_but_audit(database) == before


def test_capturing_more_than_the_hold_is_refused_naming_the_points(run_cli, database, place, make_member):
    hold = place(100, "--member", make_member(points=100).public_id)
    before = contents_without_traces(database)
    result = run_cli("holds", "capture", hold["hold_id"], "--points", "101", "--key", "capture-1")
    assert result.exit_code == 1 and "points: must be from 1 to the 100 points held" in result.output
    assert contents_without_traces(database) == before


def test_an_unknown_hold_is_named(run_cli):
    result = run_cli("holds", "void", "HNOSUCHHOLD", "--key", "void-1")
    assert result.exit_code == 1 and "unknown hold 'HNOSUCHHOLD' [unknown_hold]" in result.output


@pytest.mark.parametrize("member", [(), ("--member", "M1", "--card", "9000000000000019")],
                         ids=["neither", "both"])
def test_a_hold_must_name_the_member_by_exactly_one_of_member_and_card(run_cli, database, member):
    before = contents_but_audit(database)
    result = run_cli("holds", "place", *AT_THE_TILL, "--points", "10", *member, "--key", "k-1")
    assert result.exit_code == 2 and "name the member by exactly one of --member and --card" in result.output
    assert contents_but_audit(database) == before


def test_points_that_are_not_a_whole_number_are_a_usage_error(run_cli, make_member):
    result = run_cli("holds", "place", *AT_THE_TILL, "--points", "1.5", "--member", make_member().public_id)
    assert result.exit_code == 2 and "'1.5' is not a valid integer" in result.output


def test_lapsed_holds_are_released_by_the_job_once(run_cli, database, clock, place, make_member):
    member = make_member(points=100)
    hold = place(60, "--member", member.public_id)
    clock.advance(minutes=16)
    first = run_cli("holds", "release-lapsed")
    assert first.exit_code == 0 and "released 1 lapsed hold (as of 2026-03-02T10:16:00+00:00)" in first.output
    assert get_balance(database, member.public_id, as_of=clock()).available == 100
    second = run_cli("holds", "release-lapsed")
    assert second.exit_code == 0 and "released 0 lapsed holds" in second.output
    late = run_cli("holds", "capture", hold["hold_id"], "--key", "capture-1")
    assert late.exit_code == 1 and "was already expired" in late.output
    assert check_ledger(database) == []


def test_the_release_job_runs_for_the_instant_asked(run_cli, clock, place, make_member):
    place(60, "--member", make_member(points=100).public_id)
    clock.advance(hours=1)
    before_deadline = run_cli("holds", "release-lapsed", "--as-of", "2026-03-02T11:10:00+01:00")
    assert "released 0 lapsed holds (as of 2026-03-02T10:10:00+00:00)" in before_deadline.output
    after_deadline = run_cli("holds", "release-lapsed", "--as-of", "2026-03-02T10:20:00Z")
    assert "released 1 lapsed hold" in after_deadline.output
