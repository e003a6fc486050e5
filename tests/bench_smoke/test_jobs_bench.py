"""The scheduled jobs benchmark still works: its tiny mode, run as the script it is."""
import re

import pytest

from tests.bench_smoke.test_ledger_accrual_bench import run_script
from tests.conftest import require_real_part
from tests.support.postgres import PostgresUnavailable, find_bindir

NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_jobs_benchmark_expires_reviews_and_leaves_a_sound_ledger():
    try:
        find_bindir()
    except PostgresUnavailable as error:
        require_real_part("PostgreSQL", str(error))
    stdout, stderr, returncode = run_script("-m", "tests.bench.jobs", "--tiny")
    assert returncode == 0, stdout + stderr
    assert "check_ledger: clean" in stdout
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT jobs "), stdout
    fields = dict(field.split("=", 1) for field in last.split()[2:])
    for key in ("expire_s", "tier_review_s", "members"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
