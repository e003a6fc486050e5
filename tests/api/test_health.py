import pytest

from api import create_app
from engine.database import Database
from engine.schema import head_revision


def test_liveness_answers_without_touching_the_database(client):
    response = client.get("/health/live")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readiness_reports_the_database_and_its_schema_revision(client, database):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": database.url.get_backend_name(),
                             "schema_revision": head_revision()}


@pytest.fixture
def unmigrated_client(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield create_app({"DATABASE": db, "TESTING": True}).test_client()
    db.dispose()


def test_an_unmigrated_database_is_not_ready_and_the_message_says_what_to_do(unmigrated_client):
    response = unmigrated_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json["error"] == "not_ready"
    assert "loyalty db upgrade" in response.json["message"]


def test_an_unreachable_database_is_not_ready(tmp_path):
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    response = create_app({"DATABASE": db, "TESTING": True}).test_client().get("/health/ready")
    assert (response.status_code, response.json["error"]) == (503, "not_ready")
    assert "does not answer" in response.json["message"]
