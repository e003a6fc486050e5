"""The ledger accrual benchmark still works: its tiny mode, run as the script it is.

The script starts and stops its own PostgreSQL cluster (also on failure and on SIGTERM),
so the test only makes sure the script is never left running.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_real_part
from tests.support.postgres import PostgresUnavailable, find_bindir

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.mark.postgres
@pytest.mark.slow
def test_the_tiny_benchmark_reports_engine_and_baseline_throughput():
    try:
        find_bindir()
    except PostgresUnavailable as error:
        require_real_part("PostgreSQL", str(error))
    stdout, stderr, returncode = run_script("-m", "tests.bench.ledger_accrual", "--tiny")
    assert returncode == 0, stdout + stderr
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT ledger_accrual "), stdout
    fields = dict(field.split("=", 1) for field in last.split()[2:])
    for key in ("engine_tps", "baseline_tps", "ratio"):
        assert NUMBER.fullmatch(fields.get(key, "")), f"{key} is not a number in {last!r}"


def run_script(*args: str, timeout: float = 240) -> tuple[str, str, int]:
    """Run Python with ``args`` from the repository root; on timeout (or any error here),
    terminate it so it stops its PostgreSQL cluster before it ends."""
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=60)
    return stdout, stderr, process.returncode
