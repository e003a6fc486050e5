from datetime import timedelta

from engine.jobs.catalogue import JOBS
from engine.settings import update_settings
from tests.support.snapshot import contents_but_audit


def test_a_member_enrolled_on_the_command_line_can_be_shown_with_their_cards(run_cli, run_json, make_card):
    result = run_cli("members", "create", "--name", "Ada Lovelace", "--email", "ada@example.org",
                     "--birthday", "1985-12-10", "--consent", "marketing_email")
    assert result.exit_code == 0, result.output
    (listed,) = run_json("members", "list")
    shown = run_json("members", "show", listed["public_id"])
    assert (shown["full_name"], shown["birthday"], shown["consents"]["marketing_email"]) == (
        "Ada Lovelace", "1985-12-10", True)
    assert shown["cards"] == []


def test_an_invalid_member_is_refused_and_nothing_is_saved(run_cli, database):
    result = run_cli("members", "create", "--name", "Bad", "--email", "no-at-sign")
    assert result.exit_code == 1 and "email" in result.output
    assert contents_but_audit(database)["members"] == []


def test_a_birthday_that_is_not_a_date_is_a_usage_error(run_cli):
    result = run_cli("members", "create", "--name", "Bad", "--birthday", "10/12/1985")
    assert result.exit_code == 2 and "'10/12/1985' does not match the format '%Y-%m-%d'" in result.output


def test_showing_an_unknown_member_is_refused(run_cli):
    result = run_cli("members", "show", "MNOSUCHMEMBER")
    assert result.exit_code == 1 and "[unknown_member]" in result.output


def test_attributes_are_set_shown_and_removed_on_the_command_line(run_cli, run_json, make_member):
    member = make_member()
    assert run_cli("members", "attributes", member.public_id).output.strip() == f"{member.public_id} has no attributes"
    assert run_json("members", "attributes", member.public_id, "--set", "status=student", "--set", "city=Gent") == {
        "city": "Gent", "status": "student"}
    assert run_json("members", "attributes", member.public_id, "--remove", "city") == {"status": "student"}


def test_an_attribute_without_a_value_is_a_usage_error_and_sets_nothing(run_cli, run_json, make_member):
    member = make_member()
    result = run_cli("members", "attributes", member.public_id, "--set", "city=Gent", "--set", "status")
    assert result.exit_code == 2 and "'status': write NAME=VALUE" in result.output
    assert run_json("members", "attributes", member.public_id) == {}


def test_a_member_is_suspended_and_reinstated_from_the_command_line(run_cli, run_json, make_member):
    member = make_member("Ada Lovelace")
    suspended = run_json("members", "suspend", member.public_id, "--reason", "case 42", "--key", "s1")
    assert (suspended["status"], suspended["reason"]) == ("suspended", "case 42")
    assert run_json("members", "show", member.public_id)["status"] == "suspended"
    again = run_cli("members", "suspend", member.public_id, "--reason", "again")
    assert again.exit_code == 1 and "[already_suspended]" in again.output
    assert run_json("members", "reinstate", member.public_id, "--key", "r1")["status"] == "active"


def test_a_member_is_closed_from_the_command_line_and_a_second_closure_is_refused(run_cli, run_json, make_member):
    member = make_member("Ada Lovelace", points=70)
    closed = run_json("members", "close", member.public_id, "--reason", "asked for erasure", "--key", "c1")
    assert (closed["points_forfeited"], closed["member_id"]) == (70, member.public_id)
    assert run_json("members", "show", member.public_id)["full_name"] == "Erased member"
    again = run_cli("members", "close", member.public_id, "--reason", "again")
    assert again.exit_code == 1 and "[member_closed]" in again.output


def test_a_mailer_script_lists_the_pending_messages_and_marks_them_delivered(run_cli, run_json, make_member, earn,
                                                                             database, clock, cli_clock):
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none", "pending_days": 0}, now=clock())
    member = make_member()
    earn(member, 2000, occurred_at=clock() - timedelta(days=20))
    JOBS["expiry_warnings"].run(database, clock(), None)
    [message] = run_json("messages", "pending")
    assert (message["member_id"], message["email"], message["payload"]["points"]) == (member.public_id,
                                                                                     member.email, 20)
    assert run_cli("messages", "delivered", str(message["id"])).output == "1 marked delivered\n"
    assert run_json("messages", "pending") == []
