"""The installed ``loyalty`` executable, run as an operator would."""
import subprocess
import sys
from pathlib import Path

LOYALTY = Path(sys.executable).parent / "loyalty"


def run(*args, tmp_path):
    return subprocess.run([str(LOYALTY), *args], capture_output=True, text=True, timeout=60,
                          env={"LOYALTY_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"})


def test_the_console_script_is_installed_and_lists_its_commands(tmp_path):
    result = run("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    for command in ("db", "settings", "stores", "terminals", "members", "cards", "demo", "serve"):
        assert command in result.stdout


def test_the_default_database_lives_in_the_instance_folder(tmp_path):
    assert run("db", "upgrade", tmp_path=tmp_path).returncode == 0
    assert (tmp_path / "loyalty.sqlite3").exists()


def test_a_refusal_exits_non_zero_with_a_message_and_no_traceback(tmp_path):
    run("db", "upgrade", tmp_path=tmp_path)
    result = run("cards", "block", "123", "--reason", "lost", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "unknown card '123'" in result.stderr and "Traceback" not in result.stderr


def test_the_scheduler_runs_until_a_service_manager_stops_it_and_then_exits_cleanly(tmp_path):
    import signal

    run("db", "upgrade", tmp_path=tmp_path)
    # (``with``: its pipes are closed whatever the asserts say)
    with subprocess.Popen([str(LOYALTY), "scheduler", "--at", "03:30", "--timezone", "Europe/Berlin"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={"LOYALTY_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}) as process:
        try:
            caught_up = process.stdout.readline()  # the first tick catches up at once
            waiting = process.stdout.readline()
            process.send_signal(signal.SIGTERM)  # (SIGINT may be ignored in a background job, as under CI)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert " ran " in caught_up and "job runs" in caught_up
        assert waiting.strip() == ("scheduler: jobs every day at 03:30 Europe/Berlin, approved grants' crediting, "
                                   "webhooks and lapsed holds every minute; Ctrl-C stops")
        assert process.stderr.read().strip() == "scheduler stopped"


def test_a_scheduler_time_that_is_not_a_time_is_a_usage_error(tmp_path):
    result = run("scheduler", "--at", "25:00", tmp_path=tmp_path)
    assert result.returncode == 2 and "'--at' or '--timezone'" in result.stderr
    result = run("scheduler", "--timezone", "Mars/Olympus", tmp_path=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
