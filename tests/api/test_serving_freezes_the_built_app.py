"""A server process, once its app is built, moves what it built out of the garbage
collector's sight (``api.serving``): both the WSGI entry point and ``loyalty serve``'s
worker do, and the app still answers afterwards; objects made by requests are collected."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

REPORT = """
import gc, json
app = {load}
frozen = gc.get_freeze_count()
answer = app.test_client().get("/health/live")
class Made: pass
made = Made(); made.itself = made  # a cycle made after the app: collected as usual
del made
print(json.dumps({{"frozen": frozen, "status": answer.status_code, "collected": gc.collect() > 0}}))
"""


def report(tmp_path, load: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'loyalty.sqlite3'}",
           "LOYALTY_INSTANCE_PATH": str(tmp_path)}
    finished = subprocess.run([sys.executable, "-c", REPORT.format(load=load)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.splitlines()[-1])


def test_the_wsgi_entry_point_freezes_what_it_built_and_still_answers(tmp_path):
    seen = report(tmp_path, "__import__('api.wsgi').wsgi.app")
    assert seen["frozen"] > 10_000  # the modules and the app: some 200,000 objects
    assert seen["status"] == 200
    assert seen["collected"]


def test_a_gunicorn_worker_of_loyalty_serve_freezes_what_it_built_and_still_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'loyalty.sqlite3'}"
    seen = report(tmp_path, f"__import__('cli.serve').serve._Gunicorn({{}}, {url!r}).load()")
    assert seen["frozen"] > 10_000
    assert seen["status"] == 200
    assert seen["collected"]
