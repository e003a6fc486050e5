"""Running a benchmark script as the script it is, and reading its ``RESULT`` line."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import require_real_part
from tests.support.postgres import PostgresUnavailable, find_bindir

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"\d+(\.\d+)?")


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


def require_postgresql() -> None:
    """The script starts its own cluster: PostgreSQL's programs must be installed."""
    try:
        find_bindir()
    except PostgresUnavailable as error:
        require_real_part("PostgreSQL", str(error))


def result_fields(stdout: str, name: str) -> tuple[str, dict[str, str]]:
    """The last line printed, which must be ``RESULT <name> key=value ...``, and its fields."""
    last = stdout.strip().splitlines()[-1]
    assert last.startswith(f"RESULT {name} "), stdout
    return last, dict(field.split("=", 1) for field in last.split()[2:])
