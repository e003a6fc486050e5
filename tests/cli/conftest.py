import json

import pytest
from click.testing import CliRunner

from cli.main import loyalty
from cli.runtime import Runtime


@pytest.fixture
def database(sqlite_db):
    """The CLI is exercised on SQLite; the engine tests cover both backends."""
    return sqlite_db


@pytest.fixture
def run_cli(database):
    """Run ``loyalty ARGS...`` on the test database; returns click's result."""
    def run(*args: str):
        return CliRunner().invoke(loyalty, ["--database-url", str(database.url), *args],
                                  catch_exceptions=False)
    return run


@pytest.fixture
def run_json(run_cli):
    def run(*args: str):
        result = run_cli(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)
    return run


@pytest.fixture
def cli_clock(clock, monkeypatch):
    """The command line reads the time from ``clock`` (the one the factories use), not the wall clock."""
    monkeypatch.setattr(Runtime, "now", lambda self: clock())
    return clock
