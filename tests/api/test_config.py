from pathlib import Path

import pytest

from api import create_app
from api.config import ConfigError, load_config
from engine.sealing import DataKeys, seal


def test_the_database_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    config = load_config({"LOYALTY_INSTANCE_PATH": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'loyalty.sqlite3'}"


def test_the_environment_with_the_loyalty_prefix_sets_the_database(tmp_path):
    url = "postgresql+psycopg://loyalty@db.internal/loyalty"
    assert load_config({"LOYALTY_DATABASE_URL": url})["DATABASE_URL"] == url


def test_an_invalid_log_level_names_the_variable():
    with pytest.raises(ConfigError, match="LOYALTY_LOG_LEVEL"):
        load_config({"LOYALTY_LOG_LEVEL": "LOUD"})


def test_the_largest_request_body_is_4_mib_unless_configured_within_bounds():
    assert load_config({})["MAX_CONTENT_LENGTH"] == 4 * 2**20
    assert load_config({"LOYALTY_MAX_REQUEST_BYTES": "100000"})["MAX_CONTENT_LENGTH"] == 100_000
    for wrong in ("1k", "100", str(2**31)):
        with pytest.raises(ConfigError, match="LOYALTY_MAX_REQUEST_BYTES"):
            load_config({"LOYALTY_MAX_REQUEST_BYTES": wrong})


def test_creating_the_app_does_not_touch_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALTY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("instance/loyalty.sqlite3")
    assert not Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).exists()


def test_importing_the_api_builds_nothing():
    import api
    import api.app

    assert not hasattr(api.app, "app") and callable(api.create_app)


def test_a_grant_approval_credits_for_20_seconds_unless_told_otherwise():
    assert load_config({})["GRANT_CREDIT_SECONDS"] == 20
    assert load_config({"LOYALTY_GRANT_CREDIT_SECONDS": "55"})["GRANT_CREDIT_SECONDS"] == 55
    for wrong in ("0", "3601", "ten", "-5"):
        with pytest.raises(ConfigError, match="LOYALTY_GRANT_CREDIT_SECONDS"):
            load_config({"LOYALTY_GRANT_CREDIT_SECONDS": wrong})


def test_data_keys_come_from_the_variable_or_the_instance_folders_file_and_bad_ones_name_the_variable(tmp_path):
    assert load_config({"LOYALTY_INSTANCE_PATH": str(tmp_path)})["DATA_KEYS"].by_version == {}
    (tmp_path / "data-keys").write_text("1:" + "11" * 32 + "\n")
    assert load_config({"LOYALTY_INSTANCE_PATH": str(tmp_path)})["DATA_KEYS"].by_version == {1: bytes([0x11] * 32)}
    with pytest.raises(ConfigError, match="LOYALTY_DATA_KEYS"):
        load_config({"LOYALTY_DATA_KEYS": "1:abcd"})


def test_the_app_seals_secrets_with_its_data_keys(tmp_path):
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "DATA_KEYS": DataKeys({3: bytes(32)})})
    assert seal("secret", "terminal signing key").startswith("sealed:v1:3:")
