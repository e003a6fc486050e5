"""The API load benchmark still works: its tiny mode, run as the script it is (it starts and
stops its own PostgreSQL cluster and gunicorn)."""
import re

import pytest

from tests.bench_smoke.test_ledger_accrual_bench import run_script
from tests.conftest import require_real_part
from tests.support.postgres import PostgresUnavailable, find_bindir

NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_api_benchmark_reports_accruals_and_baseline_throughput():
    try:
        find_bindir()
    except PostgresUnavailable as error:
        require_real_part("PostgreSQL", str(error))
    stdout, stderr, returncode = run_script("-m", "tests.bench.api_accrual", "--tiny")
    assert returncode == 0, stdout + stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT api_accrual "), stdout
    fields = dict(field.split("=", 1) for field in last.split()[2:])
    for key in ("rps", "p50_ms", "p99_ms", "baseline_rps", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
