"""Prometheus metrics: requests are counted and timed per route pattern; only this machine
(or a holder of the metrics token) may read them."""
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str, name: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == name]


def count(text: str, method: str, endpoint: str, status: str) -> float:
    wanted = {"method": method, "endpoint": endpoint, "status": status}
    return sum(s.value for s in samples(text, "loyalty_http_requests_total") if s.labels == wanted)


def test_requests_are_counted_by_route_pattern_not_raw_path(client, staff_headers, make_member):
    headers = staff_headers("support")
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(2):
        client.get(f"/v1/staff/members/{make_member().public_id}", headers=headers)
    after = client.get("/metrics").get_data(as_text=True)
    endpoint = "/v1/staff/members/<member_id>"
    assert count(after, "GET", endpoint, "200") - count(before, "GET", endpoint, "200") == 2
    timed = [s for s in samples(after, "loyalty_http_request_duration_seconds_count")
             if s.labels == {"method": "GET", "endpoint": endpoint}]
    assert timed and timed[0].value >= 2


def test_unknown_paths_share_one_label(client):
    before = count(client.get("/metrics").get_data(as_text=True), "GET", "unmatched", "404")
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    assert count(client.get("/metrics").get_data(as_text=True), "GET", "unmatched", "404") - before == 2


def test_metrics_are_refused_to_other_machines(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert (response.status_code, response.json["error"]) == (403, "metrics_loopback_only")


def test_with_a_metrics_token_only_its_holder_reads_them(make_app):
    client = make_app(METRICS_TOKEN="scrape-me-please").test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401
    assert client.get("/metrics").status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert allowed.status_code == 200 and allowed.mimetype == "text/plain"
