from tests.support.snapshot import contents_but_audit


def test_a_card_is_issued_activated_blocked_and_replaced_on_the_command_line(run_cli, run_json, make_member):
    member = make_member()
    assert run_cli("cards", "issue", "--member", member.public_id, "--number", "9000000000000019",
                   "--activate").exit_code == 0
    assert run_cli("cards", "block", "9000000000000019", "--reason", "lost at the station").exit_code == 0
    assert run_json("cards", "show", "9000000000000019")["block_reason"] == "lost at the station"
    result = run_cli("cards", "replace", "9000000000000019", "--number", "9000000000000027")
    assert result.exit_code == 0, result.output
    numbers = {c["number"]: c["status"] for c in run_json("cards", "list", "--member", member.public_id)}
    assert numbers == {"9000000000000019": "replaced", "9000000000000027": "issued"}


def test_a_uid_card_can_be_issued_unblocked_and_retired(run_cli, run_json, make_member):
    member = make_member()
    assert run_cli("cards", "issue", "--member", member.public_id, "--kind", "uid",
                   "--number", "04A1B2C3", "--activate").exit_code == 0
    assert run_cli("cards", "block", "04A1B2C3", "--reason", "lost").exit_code == 0
    assert run_cli("cards", "unblock", "04A1B2C3").exit_code == 0
    assert run_cli("cards", "retire", "04A1B2C3").exit_code == 0
    assert run_json("cards", "show", "04A1B2C3")["status"] == "retired"


def test_blocking_a_retired_card_is_refused_and_changes_nothing(run_cli, database, make_card):
    card = make_card(status="retired")
    before = contents_but_audit(database)
    result = run_cli("cards", "block", card.number, "--reason", "lost")
    assert result.exit_code == 1
    assert "a retired card cannot be changed any more [card_retired]" in result.output
    assert contents_but_audit(database) == before


def test_issuing_a_taken_number_is_refused(run_cli, database, make_card, make_member):
    taken, member = make_card().number, make_member()
    before = contents_but_audit(database)
    result = run_cli("cards", "issue", "--member", member.public_id, "--number", taken)
    assert result.exit_code == 1 and "[duplicate_card_number]" in result.output
    assert contents_but_audit(database) == before


def test_blocking_without_a_reason_is_a_usage_error(run_cli, make_card):
    result = run_cli("cards", "block", make_card().number)
    assert result.exit_code == 2 and "--reason" in result.output


def test_an_unknown_card_is_named(run_cli):
    result = run_cli("cards", "retire", "9000000000000019")
    assert result.exit_code == 1 and "unknown card '9000000000000019'" in result.output
