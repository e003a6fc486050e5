from click.testing import CliRunner

from cli.main import loyalty
from engine import schema


def run(url, *args):
    return CliRunner().invoke(loyalty, ["--database-url", url, *args], catch_exceptions=False)


def test_upgrade_brings_a_new_database_to_the_newest_revision_and_downgrade_empties_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    result = run(url, "db", "upgrade")
    assert result.exit_code == 0 and schema.head_revision() in result.output
    assert f"database at revision {schema.head_revision()}" in run(url, "db", "current").output
    assert run(url, "db", "downgrade", "base").output.strip() == "database at revision base"


def test_migrating_to_an_unknown_revision_is_refused_clearly(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'new.sqlite3'}", "db", "upgrade", "nonsense")
    assert result.exit_code == 1
    assert "cannot migrate to 'nonsense'" in result.output


def test_backup_copies_the_running_database_checks_it_and_never_overwrites(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    run(url, "db", "upgrade")
    done = run(url, "db", "backup", str(tmp_path / "monday.sqlite3"))
    assert done.exit_code == 0, done.output
    assert "backed up 0 members" in done.output and "its ledger sound" in done.output
    assert f"database at revision {schema.head_revision()}" in run(f"sqlite:///{tmp_path / 'monday.sqlite3'}",
                                                                   "db", "current").output
    again = run(url, "db", "backup", str(tmp_path / "monday.sqlite3"))
    assert again.exit_code == 1 and "exists already" in again.output
