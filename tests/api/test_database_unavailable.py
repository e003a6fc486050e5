"""When the database cannot be reached (or is busy), every caller gets 503
``database_unavailable`` with Retry-After: a till keeps the sale in its outbox and sends it
again under the same key, instead of reading a 500 that claims nothing was changed."""
import re

import psycopg
import pytest
import sqlalchemy as sa

from api import create_app
from engine.database import Database


@pytest.fixture
def unreachable_client():
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    yield create_app({"DATABASE": db, "TESTING": True}).test_client()
    db.dispose()


@pytest.mark.parametrize("method, path, headers", [
    ("get", "/v1/staff/members", {"Authorization": "Bearer some-token"}),
    ("post", "/v1/member/sessions", {}),
    ("post", "/v1/terminal/accruals", {"X-Loyalty-Key": "S1-T1", "X-Loyalty-Timestamp": "1",
                                        "X-Loyalty-Signature": "00", "Idempotency-Key": "k-1"}),
])
def test_an_unreachable_database_answers_503_with_retry_after(unreachable_client, method, path, headers):
    body = {"email": "ada@example.org", "password": "correct horse"} if path.endswith("sessions") else {}
    response = getattr(unreachable_client, method)(path, json=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (503, "database_unavailable"), response.json
    assert response.headers["Retry-After"] == "1"
    assert "same Idempotency-Key" in response.json["message"]


@pytest.mark.parametrize("path", ["/portal/sign-in", "/console/sign-in"])
def test_the_pages_say_so_in_words_with_retry_after(unreachable_client, path):
    form = unreachable_client.get(path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = unreachable_client.post(path, data={"csrf_token": token, "email": "ada@example.org",
                                                   "username": "ada", "password": "correct horse"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.mimetype == "text/html" and "We cannot reach our records just now" in response.text


@pytest.mark.parametrize("failure", [
    psycopg.OperationalError("server closed the connection unexpectedly"),  # a statement sent through the driver
    sa.exc.OperationalError("COMMIT", {}, Exception("database is locked")),
])
def test_a_connection_lost_in_the_middle_of_a_request_answers_503_too(tmp_path, failure):
    db = Database(f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    app = create_app({"DATABASE": db, "TESTING": True})

    def failing():
        raise failure
    app.add_url_rule("/v1/test-failure", "test_failure", failing)
    response = app.test_client().get("/v1/test-failure")
    assert (response.status_code, response.json["error"]) == (503, "database_unavailable")
    db.dispose()
