"""The README's first command in its non-interactive form, exactly as an operator runs it."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_demo_command_installs_migrates_loads_and_serves_a_working_service(tmp_path):
    env = {**os.environ, "LOYALTY_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("LOYALTY_DATABASE_URL", None)
    result = subprocess.run([str(ROOT / "scripts" / "demo"), "--check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo programme loaded: 3 stores" in result.stdout
    assert "service answered" in result.stdout and "ready on sqlite" in result.stdout
    assert "demo till ok: Ada L." in result.stdout  # one sale through pcscd and a virtual card
    assert (tmp_path / "instance" / "loyalty.sqlite3").exists()
