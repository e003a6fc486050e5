"""The webhooks benchmark still works: its tiny mode, run as the script it is."""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_webhooks_benchmark_delivers_every_event_once():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.webhooks", "--tiny")
    assert returncode == 0, stdout + stderr
    last, fields = result_fields(stdout, "webhooks")
    for key in ("deliveries_per_s", "baseline_per_s", "ratio", "p50_ms", "p99_ms", "deliveries"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
