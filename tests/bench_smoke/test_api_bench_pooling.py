"""The API benchmark pools its alternating phases by their requests, and counts CPU time."""
import os
import subprocess
import sys

from tests.bench.api_accrual import cpu_seconds, pooled


def phase(count: int, seconds: float, latency_ms: float, errors: dict | None = None) -> dict:
    return {"count": count, "seconds": seconds, "per_mille_ms": [latency_ms] * 1000, "errors": errors or {}}


def test_throughput_is_all_requests_over_all_the_time():
    assert pooled([phase(300, 2.0, 10), phase(100, 2.0, 10)])["rps"] == 100.0


def test_each_phase_weighs_as_many_requests_as_it_answered():
    result = pooled([phase(3000, 5.0, 10), phase(1000, 5.0, 30)])
    assert (result["p50_ms"], result["p99_ms"]) == (10, 30)


def test_a_single_phase_keeps_its_own_percentiles():
    single = {"count": 1000, "seconds": 1.0, "per_mille_ms": [i / 10 for i in range(1000)], "errors": {}}
    result = pooled([single])
    assert (round(result["p50_ms"], 6), round(result["p99_ms"], 6)) == (49.95, 98.95)


def test_errors_of_every_phase_are_added_up():
    result = pooled([phase(10, 1.0, 5, {"status_errors": 2}), phase(10, 1.0, 5, {"status_errors": 1, "timeouts": 4})])
    assert result["errors"] == {"status_errors": 3, "timeouts": 4}


def test_cpu_time_is_shared_out_over_all_requests():
    phases = [dict(phase(100, 1.0, 5), app_cpu_s=0.5, db_cpu_s=0.1), dict(phase(300, 1.0, 5), app_cpu_s=1.5,
                                                                            db_cpu_s=0.3)]
    result = pooled(phases)
    assert (result["app_cpu_ms"], result["db_cpu_ms"]) == (5.0, 1.0)


def test_the_cpu_time_of_a_process_and_its_children_grows_as_they_work():
    busy = ("import sys, time\nsys.stdin.readline()\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nprint('done', flush=True)\nsys.stdin.readline()")
    with subprocess.Popen([sys.executable, "-c", busy], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as child:
        try:
            before = cpu_seconds(os.getpid())
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "done"
            assert cpu_seconds(os.getpid()) - before >= 0.29  # the child's busy loop counts (in clock ticks)
        finally:
            child.kill()
