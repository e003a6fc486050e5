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
