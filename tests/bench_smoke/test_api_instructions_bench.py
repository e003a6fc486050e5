"""The API instructions benchmark still works: a few counted requests, run as the script it
is (it starts valgrind, which starts and stops its own PostgreSQL cluster)."""
import shutil

import pytest

from tests.bench_smoke.scripts import require_postgresql, result_fields, run_script
from tests.conftest import require_real_part


@pytest.mark.postgres
@pytest.mark.slow
def test_the_instructions_benchmark_counts_more_for_an_accrual_than_for_the_baseline():
    require_postgresql()
    if shutil.which("valgrind") is None:
        require_real_part("valgrind", "valgrind is not installed")
    stdout, stderr, returncode = run_script("-m", "tests.bench.api_instructions", "--requests", "3", timeout=600)
    assert returncode == 0, stdout + stderr
    fields = {key: float(value) for key, value in result_fields(stdout, "api_instructions")[1].items()}
    assert fields["accrual_minstr"] > fields["baseline_minstr"] > 0
    assert fields["ratio"] == pytest.approx(fields["accrual_minstr"] / fields["baseline_minstr"], abs=0.01)
