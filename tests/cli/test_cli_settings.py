from tests.support.snapshot import contents_but_audit


def test_settings_are_shown_and_changed_together(run_cli, run_json):
    assert run_json("settings", "show")["pending_days"] == 14
    result = run_cli("settings", "set", "pending_days=30", "expiry_policy=never", "expiry_months=none",
                     "expiry_rounding=none")
    assert result.exit_code == 0, result.output
    shown = run_json("settings", "show")
    assert (shown["pending_days"], shown["expiry_policy"], shown["expiry_months"]) == (30, "never", None)


def test_invalid_settings_are_refused_with_every_problem_and_nothing_changes(run_cli, database):
    before = contents_but_audit(database)
    result = run_cli("settings", "set", "pending_days=soon", "currency=euro", "colour=blue")
    assert result.exit_code == 1
    for problem in ("pending_days: 'soon' is not a whole number", "colour: is not a programme setting"):
        assert problem in result.output
    result = run_cli("settings", "set", "currency=euro")
    assert result.exit_code == 1 and "currency: must be a three-letter ISO 4217 code" in result.output
    assert contents_but_audit(database) == before


def test_a_word_without_an_equals_sign_is_refused(run_cli):
    result = run_cli("settings", "set", "pending_days")
    assert result.exit_code == 1 and "NAME=VALUE" in result.output


def test_a_yes_or_no_setting_is_set_with_true_or_false_and_nothing_else(run_cli, run_json, database):
    result = run_cli("settings", "set", "chip_cards_redeem_with_pin=true", "staff_two_step_required=yes")
    assert result.exit_code == 0, result.output
    shown = run_json("settings", "show")
    assert (shown["chip_cards_redeem_with_pin"], shown["staff_two_step_required"]) == (True, True)
    assert run_cli("settings", "set", "chip_cards_redeem_with_pin=off").exit_code == 0
    assert run_json("settings", "show")["chip_cards_redeem_with_pin"] is False
    before = contents_but_audit(database)
    refused = run_cli("settings", "set", "staff_two_step_required=maybe")
    assert refused.exit_code == 1 and "staff_two_step_required: 'maybe' is neither true nor false" in refused.output
    assert contents_but_audit(database) == before
