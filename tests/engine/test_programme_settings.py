from engine.errors import InvalidInput
from engine.programme import ProgrammeSettings, validate_settings
from engine.settings import get_settings, update_settings
from tests.support.assertions import refused_unchanged


def test_the_defaults_are_valid_settings():
    assert validate_settings(ProgrammeSettings()) == []


def test_an_unconfigured_database_answers_with_the_defaults(database):
    assert get_settings(database) == ProgrammeSettings()


def test_changed_settings_are_saved_and_read_back(database, clock):
    saved = update_settings(database, {"points_name": "miles", "pending_days": 30}, now=clock())
    assert get_settings(database) == saved
    assert (saved.points_name, saved.pending_days) == ("miles", 30)


def test_a_second_change_keeps_the_first(database, clock):
    update_settings(database, {"currency": "CHF"}, now=clock())
    update_settings(database, {"timezone": "Europe/Zurich"}, now=clock())
    assert (get_settings(database).currency, get_settings(database).timezone) == ("CHF", "Europe/Zurich")


def test_invalid_settings_are_refused_with_every_problem_and_nothing_saved(database, clock):
    with refused_unchanged(database, InvalidInput) as refusal:
        update_settings(database, {"currency": "euro", "pending_days": -1, "timezone": "Mars/Olympus"},
                        now=clock())
    assert {p.field for p in refusal.value.problems} == {"currency", "pending_days", "timezone"}


def test_an_unknown_setting_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput) as refusal:
        update_settings(database, {"pending_dayz": 3}, now=clock())
    assert refusal.value.problems[0].field == "pending_dayz"


def test_a_setting_of_the_wrong_type_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput):
        update_settings(database, {"earn_points": "2"}, now=clock())


def test_rates_and_limits_beyond_any_programme_are_refused_naming_each(database, clock):
    forty_nines = int("9" * 40)
    with refused_unchanged(database, InvalidInput) as refusal:
        update_settings(database, {field: forty_nines for field in (
            "earn_points", "earn_per_minor", "redeem_points", "redeem_value_minor",
            "adjustment_approval_threshold")}, now=clock())
    assert {p.field for p in refusal.value.problems} == {"earn_points", "earn_per_minor", "redeem_points",
                                                          "redeem_value_minor", "adjustment_approval_threshold"}


def test_never_expiring_points_need_no_expiry_months():
    settings = ProgrammeSettings(expiry_policy="never", expiry_months=None, expiry_rounding="none")
    assert validate_settings(settings) == []
    fields = {p.field for p in validate_settings(settings.replace(expiry_months=12))}
    assert fields == {"expiry_months"}


def test_rounding_applies_only_to_expiry_after_earning():
    settings = ProgrammeSettings(expiry_policy="after_inactivity", expiry_months=18,
                                 expiry_rounding="end_of_year")
    assert [p.field for p in validate_settings(settings)] == ["expiry_rounding"]


def test_every_negative_balance_policy_is_accepted_and_others_are_not():
    for policy in ("allow_negative", "write_off", "refuse"):
        assert validate_settings(ProgrammeSettings(negative_balance_policy=policy)) == []
    assert validate_settings(ProgrammeSettings(negative_balance_policy="ignore"))


def test_the_lifecycle_thresholds_out_of_bounds_are_refused_naming_each(database, clock):
    for lapsed, loyal in ((29, 1), (3651, 1001), ("180", True)):
        with refused_unchanged(database, InvalidInput) as refusal:
            update_settings(database, {"lapsed_after_days": lapsed, "loyal_purchases_per_year": loyal}, now=clock())
        assert [(p.field, p.message) for p in refusal.value.problems] == [
            ("lapsed_after_days", "must be a whole number of days from 30 to 3650"),
            ("loyal_purchases_per_year", "must be a whole number of purchases from 2 to 1000")]
    saved = update_settings(database, {"lapsed_after_days": 30, "loyal_purchases_per_year": 1000}, now=clock())
    assert (saved.lapsed_after_days, saved.loyal_purchases_per_year) == (30, 1000)
