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


def test_an_auditor_reads_the_members_earning_unusually_often_at_one_till(client, staff_headers, make_member, earn,
                                                                          clock):
    cashier = make_member()
    for _ in range(3):
        earn(cashier, 1000)
    earn(make_member(), 1000)
    response = client.get("/v1/staff/reports/frequent-earners", query_string={"min_sales": 3},
                          headers=staff_headers("auditor"))
    assert response.status_code == 200, response.json
    assert response.json == [{"member_id": cashier.public_id, "store_code": "S1", "terminal_code": "S1-T1",
                              "day": clock().date().isoformat(), "sales": 3, "points": 30}]


def test_the_frequent_earners_report_is_for_auditors_not_marketers_and_bounds_its_query(client, staff_headers):
    assert client.get("/v1/staff/reports/frequent-earners", headers=staff_headers("marketer")).status_code == 403
    refused = client.get("/v1/staff/reports/frequent-earners", query_string={"days": 0, "min_sales": 1},
                         headers=staff_headers("admin"))
    assert (refused.status_code, sorted(refused.json["errors"])) == (422, ["days", "min_sales"])
