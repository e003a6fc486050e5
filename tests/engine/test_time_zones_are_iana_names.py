"""A store's and the programme's time zone is an IANA name: UTC or an Area/Location. The
zone directory's host names (localtime is whatever the machine is set to; posixrules, Factory,
the posix/ and right/ copies) load too, but mean something else on another host: refused by
name, nothing changed."""
import pytest

from engine import stores
from engine.errors import InvalidInput
from engine.programme import is_valid_timezone
from engine.settings import get_settings, update_settings
from tests.support.assertions import refused_unchanged

HOST_NAMES = ["localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC", "Europe/../Factory",
              "Europe/Berlin ", ""]


@pytest.mark.parametrize("zone", HOST_NAMES)
def test_a_store_in_a_host_named_zone_is_refused(database, clock, zone):
    with refused_unchanged(database, InvalidInput) as refused:
        stores.create_store(database, code="TST-5", name="T", timezone=zone, now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("timezone", f"{zone!r} is not an IANA time zone such as Europe/Berlin")]


@pytest.mark.parametrize("zone", HOST_NAMES)
def test_the_programme_in_a_host_named_zone_is_refused(database, clock, zone):
    with refused_unchanged(database, InvalidInput) as refused:
        update_settings(database, {"timezone": zone}, now=clock())
    assert [p.field for p in refused.value.problems] == ["timezone"]
    assert get_settings(database).timezone == "UTC"


def test_utc_and_area_location_names_are_time_zones():
    assert all(map(is_valid_timezone, ["UTC", "Europe/Berlin", "America/Argentina/Salta", "Etc/GMT+1", "Etc/UTC"]))
    assert not any(map(is_valid_timezone, ["Mars/Olympus", "europe/berlin", None, 1]))
