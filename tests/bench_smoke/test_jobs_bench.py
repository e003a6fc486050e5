"""The scheduled jobs benchmark still works: its tiny mode, run as the script it is."""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_jobs_benchmark_expires_reviews_and_leaves_a_sound_ledger():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.jobs", "--tiny")
    assert returncode == 0, stdout + stderr
    assert "check_ledger: clean" in stdout
    last, fields = result_fields(stdout, "jobs")
    for key in ("expire_s", "tier_review_s", "customer_value_s", "grant_s", "statement_s", "dashboard_s",
                "members"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
