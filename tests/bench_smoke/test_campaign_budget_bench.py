"""The campaign budget benchmark still works: its tiny mode, run as the script it is.

The script starts and stops its own PostgreSQL cluster (also on failure and on SIGTERM),
so the test only makes sure the script is never left running.
"""
import pytest

from tests.bench_smoke.scripts import NUMBER, require_postgresql, result_fields, run_script


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_benchmark_reports_sliced_unbudgeted_and_one_row_accruals():
    require_postgresql()
    stdout, stderr, returncode = run_script("-m", "tests.bench.campaign_budget", "--tiny")
    assert returncode == 0, stdout + stderr
    last, fields = result_fields(stdout, "campaign_budget")
    for key in ("sliced_tps", "unbudgeted_tps", "ratio", "sliced_denied_pct", "one_row_tps", "one_row_denied_pct"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
    # many slices for two clients: no sale goes without its bonus while the budget lasts
    assert fields["sliced_denied_pct"] == "0.0", last
