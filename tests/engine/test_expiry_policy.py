from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from engine.programme import ProgrammeSettings, add_months, inactivity_deadline, lot_expires_at

BERLIN = ZoneInfo("Europe/Berlin")


def settings(**changes) -> ProgrammeSettings:
    return ProgrammeSettings(timezone="Europe/Berlin", expiry_policy="after_earning",
                             expiry_months=24, expiry_rounding="none").replace(**changes)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_points_expire_the_given_months_after_earning_without_rounding():
    assert lot_expires_at(berlin(2026, 3, 15, 14, 30), settings()) == berlin(2028, 3, 15, 14, 30)


def test_rounding_to_month_end_keeps_points_to_the_last_day_of_the_month():
    expiry = lot_expires_at(berlin(2026, 3, 15, 14, 30), settings(expiry_rounding="end_of_month"))
    assert expiry == berlin(2028, 4, 1)


def test_rounding_to_quarter_end_keeps_points_to_the_last_day_of_the_quarter():
    expiry = lot_expires_at(berlin(2026, 5, 2, 9), settings(expiry_months=12, expiry_rounding="end_of_quarter"))
    assert expiry == berlin(2027, 7, 1)


def test_rounding_to_year_end_keeps_points_to_new_year():
    expiry = lot_expires_at(berlin(2026, 1, 1, 0, 5), settings(expiry_months=12, expiry_rounding="end_of_year"))
    assert expiry == berlin(2028, 1, 1)


def test_the_programme_time_zone_decides_which_month_a_late_evening_belongs_to():
    earned = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # already 1 April in Berlin
    expiry = lot_expires_at(earned, settings(expiry_months=1, expiry_rounding="end_of_month"))
    assert expiry == berlin(2026, 6, 1)


def test_points_that_never_expire_have_no_expiry():
    assert lot_expires_at(berlin(2026, 1, 1), settings(expiry_policy="never", expiry_months=None)) is None


def test_inactivity_expiry_starts_at_the_earning_and_follows_the_last_activity():
    # the earning is itself activity; the nightly expiry moves the lot on with later activity
    policy = settings(expiry_policy="after_inactivity", expiry_months=18)
    assert lot_expires_at(berlin(2026, 1, 1), policy) == berlin(2027, 7, 1)
    assert inactivity_deadline(berlin(2026, 1, 10, 12), policy) == berlin(2027, 7, 10, 12)


def test_adding_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@given(earned=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                           timezones=st.just(UTC)),
       months=st.integers(1, 120),
       rounding=st.sampled_from(["none", "end_of_month", "end_of_quarter", "end_of_year"]))
def test_points_always_expire_after_they_were_earned_and_rounding_only_extends(earned, months, rounding):
    rounded = lot_expires_at(earned, settings(expiry_months=months, expiry_rounding=rounding))
    plain = lot_expires_at(earned, settings(expiry_months=months))
    assert rounded > earned
    assert rounded >= plain - timedelta(hours=1)  # a DST shift may move the wall clock an hour
    if rounding != "none":
        local = rounded.astimezone(BERLIN)
        assert (local.day, local.hour, local.minute) == (1, 0, 0)
