"""The API benchmark pools the latencies of its alternating phases by their requests."""
from tests.bench.api_accrual import pooled


def phase(count: int, seconds: float, latency_ms: float, errors: dict | None = None) -> dict:
    return {"count": count, "seconds": seconds, "per_mille_ms": [latency_ms] * 1000, "errors": errors or {}}


def test_throughput_is_all_requests_over_all_the_time():
    assert pooled([phase(300, 2.0, 10), phase(100, 2.0, 10)])["rps"] == 100.0


def test_each_phase_weighs_as_many_requests_as_it_answered():
    result = pooled([phase(3000, 5.0, 10), phase(1000, 5.0, 30)])
    assert (result["p50_ms"], result["p99_ms"]) == (10, 30)


def test_a_single_phase_keeps_its_own_percentiles():
    single = {"count": 1000, "seconds": 1.0, "per_mille_ms": [i / 10 for i in range(1000)], "errors": {}}
    result = pooled([single])
    assert (round(result["p50_ms"], 6), round(result["p99_ms"], 6)) == (49.95, 98.95)


def test_errors_of_every_phase_are_added_up():
    result = pooled([phase(10, 1.0, 5, {"status_errors": 2}), phase(10, 1.0, 5, {"status_errors": 1, "timeouts": 4})])
    assert result["errors"] == {"status_errors": 3, "timeouts": 4}
