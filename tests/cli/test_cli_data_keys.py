"""Operators add data key versions to a key file and seal the stored secrets with the newest;
sealing without data keys is refused, changing nothing."""
import sqlalchemy as sa

from engine.access.terminal_keys import issue_terminal_key
from engine.sealing import DataKeys, use_data_keys
from tests.support.snapshot import contents_but_audit


def stored_terminal_secrets(database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(sa.text("SELECT secret FROM terminal_credentials")))


def test_a_data_key_file_gets_versions_and_the_stored_secrets_are_sealed_with_the_newest(
        run_cli, database, clock, make_terminal, tmp_path, monkeypatch):
    issued = issue_terminal_key(database, make_terminal().code, now=clock())  # before any data key
    path = tmp_path / "data-keys"
    assert "data key version 1 added" in run_cli("data-keys", "new-version", "--file", str(path)).output
    assert "data key version 2 added" in run_cli("data-keys", "new-version", "--file", str(path)).output
    assert sorted(DataKeys.parse(path.read_text()).by_version) == [1, 2]
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("LOYALTY_DATA_KEYS_FILE", str(path))
    result = run_cli("secrets", "seal")
    assert result.exit_code == 0 and "terminal_credentials.secret: 1 sealed" in result.output
    [sealed] = stored_terminal_secrets(database)
    assert sealed.startswith("sealed:v1:2:") and issued.secret not in sealed
    assert "terminal_credentials.secret: 0 sealed" in run_cli("secrets", "seal").output


def test_sealing_without_data_keys_is_refused(run_cli, database, clock, make_terminal):
    issue_terminal_key(database, make_terminal().code, now=clock())
    before = contents_but_audit(database)
    result = run_cli("secrets", "seal")
    assert result.exit_code == 1 and "no data keys are configured" in result.output
    assert contents_but_audit(database) == before


def test_the_service_refuses_to_start_while_stored_secrets_do_not_open(run_cli, database, clock, make_terminal,
                                                                       monkeypatch):
    monkeypatch.setenv("LOYALTY_DATA_KEYS", "1:" + "11" * 32)
    use_data_keys(DataKeys.parse("1:" + "11" * 32))
    issue_terminal_key(database, make_terminal().code, now=clock())  # sealed with version 1
    monkeypatch.setenv("LOYALTY_DATA_KEYS", "2:" + "22" * 32)  # started with another key
    for command in (("serve", "--check"), ("serve", "--bind", "127.0.0.1:1")):
        result = run_cli(*command)
        assert result.exit_code == 1, result.output
        assert "terminal_credentials.secret: 1 values do not open" in result.output
        assert "data key version 1, which is not configured" in result.output
