import json
import logging


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "loyalty.request"]


def test_each_request_is_logged_once_with_its_outcome(client, caplog):
    with caplog.at_level(logging.INFO, logger="loyalty.request"):
        client.get("/health/live")
    (record,) = request_lines(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/health/live", 200)
    assert record.duration_ms >= 0 and len(record.request_id) == 32


def test_a_sane_request_id_from_the_caller_is_kept_and_echoed(client, caplog):
    with caplog.at_level(logging.INFO, logger="loyalty.request"):
        response = client.get("/health/live", headers={"X-Request-ID": "till-7-000123"})
    assert response.headers["X-Request-ID"] == "till-7-000123"
    assert request_lines(caplog)[0].request_id == "till-7-000123"


def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/health/live", headers={"X-Request-ID": "<script>alert(1)</script> and a very long tail " * 3})
    assert "<" not in response.headers["X-Request-ID"] and len(response.headers["X-Request-ID"]) == 32


def test_log_lines_are_json_objects():
    from api.request_log import JsonFormatter

    record = logging.makeLogRecord({"name": "loyalty.request", "msg": "request", "levelname": "INFO",
                                    "status": 200, "path": "/health/live"})
    line = json.loads(JsonFormatter().format(record))
    assert (line["msg"], line["status"], line["path"]) == ("request", 200, "/health/live")
