"""The terminal tap benchmark still works: its tiny mode, run as the script it is."""
import pytest

from tests.bench_smoke.scripts import NUMBER, result_fields, run_script


@pytest.mark.slow
def test_the_tiny_benchmark_reports_tap_latency_with_its_card_and_server_parts(pcsc_lab_free):
    stdout, stderr, returncode = run_script("-m", "tests.bench.terminal_tap", "--tiny")
    assert returncode == 0, stdout + stderr
    last, fields = result_fields(stdout, "terminal_tap")
    for key in ("p50_ms", "p99_ms", "apdu_p50_ms", "api_p50_ms"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"

