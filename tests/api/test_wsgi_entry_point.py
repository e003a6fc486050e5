"""The WSGI entry point gunicorn loads refuses to start while stored secrets do not open
with the worker's data keys, naming why; with the right keys it starts."""
import subprocess
import sys
from pathlib import Path

from engine import schema, stores
from engine.access.terminal_keys import issue_terminal_key
from engine.database import Database
from engine.sealing import DataKeys, use_data_keys

ROOT = Path(__file__).resolve().parents[2]
SEALING = "1:" + "11" * 32


def load_entry_point(tmp_path, url: str, data_keys: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "LOYALTY_DATABASE_URL": url, "LOYALTY_DATA_KEYS": data_keys,
           "LOYALTY_INSTANCE_PATH": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", "import api.wsgi"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_worker_refuses_to_start_with_keys_that_do_not_open_the_stored_secrets(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'loyalty.sqlite3'}"
    db = Database(url)
    try:
        schema.upgrade(db)
        stores.create_store(db, code="S1", name="Store 1", timezone="Europe/Berlin", now=clock())
        stores.create_terminal(db, code="S1-T1", store_code="S1", now=clock())
        use_data_keys(DataKeys.parse(SEALING))
        issue_terminal_key(db, "S1-T1", now=clock())
    finally:
        db.dispose()
    refused = load_entry_point(tmp_path, url, "2:" + "22" * 32)
    assert refused.returncode != 0
    assert "terminal_credentials.secret: 1 values do not open" in refused.stderr
    assert load_entry_point(tmp_path, url, SEALING).returncode == 0
