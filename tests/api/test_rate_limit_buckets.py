"""The token buckets and the LOYALTY_RATE_LIMITS format, as pure logic."""
import pytest

from api.config import ConfigError, load_config
from api.rate_limits import Buckets, Rate, parse_rates


class Seconds:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_lets_a_burst_through_then_the_steady_rate():
    seconds = Seconds()
    buckets, rate = Buckets(seconds), Rate(3, 60.0)
    assert [buckets.take("member", "M1", rate) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("member", "M1", rate) == pytest.approx(20.0)
    seconds.now += 20
    assert buckets.take("member", "M1", rate) == 0
    assert buckets.take("member", "M1", rate) == pytest.approx(20.0)


def test_a_refused_request_does_not_use_up_the_bucket():
    seconds = Seconds()
    buckets, rate = Buckets(seconds), Rate(1, 10.0)
    buckets.take("terminal", "T1", rate)
    for _ in range(5):
        assert buckets.take("terminal", "T1", rate) == pytest.approx(10.0)
    seconds.now += 10
    assert buckets.take("terminal", "T1", rate) == 0


def test_callers_and_kinds_have_buckets_of_their_own():
    buckets, rate = Buckets(Seconds()), Rate(1, 60.0)
    assert buckets.take("member", "M1", rate) == 0
    assert buckets.take("member", "M2", rate) == 0
    assert buckets.take("staff", "M1", rate) == 0
    assert buckets.take("member", "M1", rate) > 0


def test_beyond_the_most_callers_the_least_recently_seen_is_forgotten():
    buckets, rate = Buckets(Seconds(), max_callers=2), Rate(1, 60.0)
    for caller in ("A", "B"):
        buckets.take("sign_in", caller, rate)
    buckets.take("sign_in", "A", rate)  # A seen again: B is now the oldest
    buckets.take("sign_in", "C", rate)
    assert buckets.take("sign_in", "A", rate) > 0  # remembered
    assert buckets.take("sign_in", "B", rate) == 0  # forgotten: a full bucket again


def test_the_defaults_and_overrides_of_the_rate_limits():
    assert parse_rates("") == {"terminal": Rate(600, 60.0), "member": Rate(120, 60.0), "staff": Rate(600, 60.0),
                               "sign_in": Rate(20, 60.0)}
    changed = parse_rates("terminal=50/s, sign_in=off,member=1000/h")
    assert (changed["terminal"], changed["sign_in"], changed["member"]) == (Rate(50, 1.0), None, Rate(1000, 3600.0))


@pytest.mark.parametrize("text, said", [("robots=5/s", "unknown kind 'robots'"), ("member=5", "member='5'"),
                                        ("member=0/s", "give COUNT/PERIOD"), ("member=5/day", "give COUNT/PERIOD"),
                                        ("member=-1/s", "give COUNT/PERIOD"), ("member=1.5/s", "give COUNT/PERIOD")])
def test_a_wrong_rate_limit_setting_is_refused_naming_the_variable_and_the_part(text, said):
    with pytest.raises(ConfigError, match="LOYALTY_RATE_LIMITS") as raised:
        load_config({"LOYALTY_RATE_LIMITS": text})
    assert said in str(raised.value)


def test_the_proxy_hops_are_a_small_whole_number():
    assert load_config({})["PROXY_HOPS"] == 0
    assert load_config({"LOYALTY_PROXY_HOPS": "2"})["PROXY_HOPS"] == 2
    for wrong in ("-1", "two", "9"):
        with pytest.raises(ConfigError, match="LOYALTY_PROXY_HOPS"):
            load_config({"LOYALTY_PROXY_HOPS": wrong})
