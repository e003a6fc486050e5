"""The rules evaluation benchmark still works: its tiny mode, run as the script it is."""
import pytest

from tests.bench_smoke.scripts import NUMBER, result_fields, run_script


@pytest.mark.slow
def test_the_tiny_rules_benchmark_reports_compiled_and_naive_throughput():
    stdout, stderr, returncode = run_script("-m", "tests.bench.rules_eval", "--tiny", timeout=120)
    assert returncode == 0, stdout + stderr
    assert "rules=60 " in stdout
    last, fields = result_fields(stdout, "rules_eval")
    for key in ("compiled_per_s", "naive_per_s", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"
    assert fields.get("native") in ("yes", "no"), last  # whether the rules ran compiled by mypyc
