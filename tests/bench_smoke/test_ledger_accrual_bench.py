"""The ledger accrual benchmark still works: its tiny mode, run as the script it is.

The script starts and stops its own PostgreSQL cluster (also on failure and on SIGTERM),
so the test only makes sure the script is never left running.
"""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_benchmark_reports_engine_and_baseline_throughput():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.ledger_accrual", "--tiny")
    assert returncode == 0, stdout + stderr
    last, fields = result_fields(stdout, "ledger_accrual")
    for key in ("engine_tps", "baseline_tps", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
