"""The rules evaluation benchmark still works: its tiny mode, run as the script it is."""
import re

import pytest

from tests.bench_smoke.test_ledger_accrual_bench import run_script

NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.mark.slow
def test_the_tiny_rules_benchmark_reports_compiled_and_naive_throughput():
    stdout, stderr, returncode = run_script("-m", "tests.bench.rules_eval", "--tiny", timeout=120)
    assert returncode == 0, stdout + stderr
    assert "rules=60 " in stdout
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT rules_eval "), stdout
    fields = dict(field.split("=", 1) for field in last.split()[2:])
    for key in ("compiled_per_s", "naive_per_s", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
