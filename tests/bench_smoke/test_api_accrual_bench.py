"""The API load benchmark still works: its tiny mode, run as the script it is (it starts and
stops its own PostgreSQL cluster and gunicorn)."""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_api_benchmark_reports_accruals_baseline_and_floor_throughput():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.api_accrual", "--tiny")
    assert returncode == 0, stdout + stderr
    last, fields = result_fields(stdout, "api_accrual")
    for key in ("rps", "p50_ms", "p99_ms", "baseline_rps", "ratio", "floor_rps", "floor_ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
