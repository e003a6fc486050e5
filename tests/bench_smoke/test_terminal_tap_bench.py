"""The terminal tap benchmark still works: its tiny mode, run as the script it is."""
import re

import pytest

from tests.bench_smoke.test_ledger_accrual_bench import run_script
from tests.conftest import require_real_part
from terminal.devtools.pcsc_lab import PcscLab, PcscLabUnavailable, check_installed

NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.mark.slow
def test_the_tiny_benchmark_reports_tap_latency_with_its_card_and_server_parts(pcsc_lab_free):
    stdout, stderr, returncode = run_script("-m", "tests.bench.terminal_tap", "--tiny")
    assert returncode == 0, stdout + stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT terminal_tap "), stdout
    fields = dict(field.split("=", 1) for field in last.split()[2:])
    for key in ("p50_ms", "p99_ms", "apdu_p50_ms", "api_p50_ms"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"


@pytest.fixture
def pcsc_lab_free():
    """The script starts its own pcscd (one per machine): pause this run's lab meanwhile."""
    try:
        check_installed()
    except PcscLabUnavailable as error:
        require_real_part("pcscd with the vpcd reader", str(error))
    with PcscLab.paused():
        yield
