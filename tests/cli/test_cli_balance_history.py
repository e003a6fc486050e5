import pytest

pytestmark = pytest.mark.usefixtures("cli_clock", "till")


@pytest.fixture
def member_with_history(make_member, earn, run_json, clock):
    """100 points available (10 of them held at the till), 30 pending from a sale an hour ago."""
    member = make_member(points=100)
    clock.advance(hours=1)
    earn(member, 3000, receipt="R1", occurred_at=clock())
    run_json("holds", "place", "--store", "S1", "--terminal", "S1-T1", "--points", "10",
             "--member", member.public_id, "--key", "place-1")
    return member


def test_the_balance_tells_available_pending_and_reserved_points(run_json, member_with_history):
    balance = run_json("balance", member_with_history.public_id)
    assert {k: balance[k] for k in ("balance", "available", "pending", "reserved", "debt")} == {
        "balance": 130, "available": 90, "pending": 30, "reserved": 10, "debt": 0}
    assert balance["expiring"] == []


def test_the_balance_for_people_is_one_field_a_line(run_cli, member_with_history):
    result = run_cli("balance", member_with_history.public_id)
    assert result.exit_code == 0
    lines = [line.split() for line in result.output.splitlines()]
    assert ["available", "90"] in lines and ["pending", "30"] in lines and ["expiring", "none", "soon"] in lines


def test_points_about_to_expire_are_shown_with_their_date(run_json, clock, make_member):
    member = make_member(points=100)  # expire at the end of the month, 24 months on
    clock.advance(days=700)
    balance = run_json("balance", member.public_id)
    assert balance["expiring"] == [{"expires_at": "2028-04-01T00:00:00+00:00", "points": 100}]


def test_the_history_lists_postings_newest_first_one_page_at_a_time(run_json, run_cli, member_with_history):
    everything = run_json("history", member_with_history.public_id)
    assert [(item["kind"], item["points"]) for item in everything] == [("earn", 30), ("adjust", 100)]
    assert everything[1]["actor"] == "tests" and everything[0]["description"] == "purchase S1/S1-T1/R1"
    assert run_json("history", member_with_history.public_id, "--limit", "1", "--offset", "1") == everything[1:]
    table = run_cli("history", member_with_history.public_id)
    assert table.exit_code == 0 and "purchase S1/S1-T1/R1" in table.output and "test funding" in table.output


def test_a_member_without_postings_has_an_empty_history(run_cli, run_json, make_member):
    member = make_member()
    assert run_json("history", member.public_id) == []
    assert run_cli("history", member.public_id).output.strip() == "no history"


@pytest.mark.parametrize("command", ["balance", "history"])
def test_an_unknown_member_is_named(run_cli, command):
    result = run_cli(command, "MNOSUCHMEMBER")
    assert result.exit_code == 1 and "unknown member 'MNOSUCHMEMBER' [unknown_member]" in result.output


def test_a_page_size_out_of_range_is_a_usage_error(run_cli, make_member):
    result = run_cli("history", make_member().public_id, "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.output
