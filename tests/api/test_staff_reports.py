"""The dashboard's figures over HTTP, for the roles that read reports."""
def test_a_marketer_reads_the_dashboard_figures(client, staff_headers, make_member, earn):
    earn(make_member(points=300), 2000)
    response = client.get("/v1/staff/reports/dashboard", query_string={"days": 7}, headers=staff_headers("marketer"))
    assert response.status_code == 200, response.json
    assert len(response.json["flows"]) == 7 and response.json["flows"][-1]["issued"] == 320
    assert response.json["liability"] == {"available": 300, "pending": 20, "total": 320}
    assert response.json["top_rules"] == [{"code": "base", "value": 20}]


def test_a_period_beyond_a_year_is_refused(client, staff_headers):
    response = client.get("/v1/staff/reports/dashboard", query_string={"days": 1000},
                          headers=staff_headers("auditor"))
    assert (response.status_code, list(response.json["errors"])) == (422, ["days"])


def test_support_agents_do_not_read_reports(client, staff_headers):
    assert client.get("/v1/staff/reports/dashboard", headers=staff_headers("support")).status_code == 403
