"""The README's first command in its non-interactive form, exactly as an operator runs it."""
import os
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_demo_command_installs_migrates_loads_and_serves_a_working_service(tmp_path, pcsc_lab_free):
    env = {**os.environ, "LOYALTY_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("LOYALTY_DATABASE_URL", None)
    # its own process group: if the test is cut short, what the demo started is stopped too
    demo = subprocess.Popen([str(ROOT / "scripts" / "demo"), "--check"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = demo.communicate(timeout=600)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)  # the demo stops its service and pcscd
            try:
                demo.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.communicate()
    result = subprocess.CompletedProcess(demo.args, demo.returncode, stdout, stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo programme loaded: 4 stores" in result.stdout
    assert "service answered" in result.stdout and "ready on sqlite" in result.stdout
    assert "demo till ok: Ada L." in result.stdout  # one sale through pcscd and a virtual card
    assert "demo web shop ok: order WEB-" in result.stdout  # one order naming the member, from the online store
    assert "points with" in result.stdout and "payment code" in result.stdout  # and one paying with points
    assert "the sale's webhook event arrived" in result.stdout and "points.earned: " in result.stdout
    assert (tmp_path / "instance" / "loyalty.sqlite3").exists()
