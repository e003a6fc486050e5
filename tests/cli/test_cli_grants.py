"""``loyalty grants``: an operator asks for points for a segment, another approves, and the
list shows both; the asker cannot approve their own; ``credit`` finishes what a stopped
approval left."""
import pytest

from engine.ledger.balances import get_balance
from engine.rules.segments import create_segment
from tests.support.assertions import contents_without_traces
from tests.support.grants import approved_but_not_credited

pytestmark = pytest.mark.usefixtures("cli_clock")


def test_one_operator_asks_another_approves_and_the_members_are_credited(run_cli, run_json, database, clock,
                                                                         make_member):
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    asked = run_json("grants", "ask", "apology", "200", "--reason", "outage", "--actor", "ops-anna", "--key", "ask-1")
    assert (asked["status"], asked["members"], asked["total_points"]) == ("pending", 2, 400)
    before = contents_without_traces(database)
    refused = run_cli("grants", "approve", asked["grant_id"], "--actor", "ops-anna")
    assert refused.exit_code != 0 and "cannot approve" in refused.output
    assert contents_without_traces(database) == before
    approved = run_json("grants", "approve", asked["grant_id"], "--actor", "ops-ben", "--key", "approve-1")
    assert (approved["status"], approved["members"], approved["credited"]) == ("approved", 2, 2)
    assert run_json("grants", "approve", asked["grant_id"], "--actor", "ops-ben", "--key", "approve-1") == approved
    assert [get_balance(database, m.public_id, as_of=clock()).available for m in members] == [200, 200]
    listed = run_cli("grants", "list", "--status", "approved")
    assert asked["grant_id"] in listed.output and "ops-ben" in listed.output


def test_credit_finishes_a_grant_a_stopped_approval_left_and_refuses_one_not_approved(run_cli, run_json, database,
                                                                                        clock, make_member):
    members = [make_member() for _ in range(3)]
    create_segment(database, code="three", member_ids=[m.public_id for m in members], now=clock())
    asked = run_json("grants", "ask", "three", "50", "--reason", "outage", "--actor", "ops-anna", "--key", "ask-1")
    refused = run_cli("grants", "credit", asked["grant_id"])
    assert refused.exit_code != 0 and "only an approved grant credits" in refused.output
    approved_but_not_credited(database, asked["grant_id"], members)
    credited = run_json("grants", "credit", asked["grant_id"])
    assert (credited["members"], credited["credited"]) == (3, 3)
    assert run_json("grants", "credit", asked["grant_id"]) == credited
    assert [get_balance(database, m.public_id, as_of=clock()).available for m in members] == [50] * 3


def test_a_grant_of_no_points_is_refused_naming_the_field(run_cli, database, clock, make_member):
    create_segment(database, code="one", member_ids=[make_member().public_id], now=clock())
    result = run_cli("grants", "ask", "one", "0", "--reason", "x", "--actor", "ops")
    assert result.exit_code != 0 and "points" in result.output
    assert "no grants" in run_cli("grants", "list").output
