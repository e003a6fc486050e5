"""The dashboard's figures, the fraud check and a campaign's lift over HTTP, for the roles
that read them."""
from datetime import timedelta
from decimal import Decimal

from engine.ledger.closed_months import close_months
from engine.rewards import RedeemReward, create_reward, redeem_reward
from engine.rules.campaigns import create_campaign


def test_a_marketer_reads_the_dashboard_figures(client, staff_headers, make_member, earn):
    earn(make_member(points=300), 2000)
    response = client.get("/v1/staff/reports/dashboard", query_string={"days": 7}, headers=staff_headers("marketer"))
    assert response.status_code == 200, response.json
    assert len(response.json["flows"]) == 7
    assert {k: v for k, v in response.json["flows"][-1].items() if k != "day"} == {
        "issued": 20, "redeemed": 0, "expired": 0, "adjusted": 300}
    assert response.json["liability"] == {"available": 300, "pending": 20, "total": 320}
    assert response.json["top_rules"] == [{"code": "base", "value": 20}]
    assert [c["code"] for c in response.json["lifecycle"]] == [
        "new", "lapsed", "advocate", "loyal", "repeat", "first_purchase"]
    assert response.json["stores"] == [{"store_code": "S1", "sales": 1, "takings_minor": 2000, "points": 20}]
    assert (response.json["rewards"], response.json["breakage"]) == ([], 0.0)


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


def test_an_auditor_reads_the_cards_earning_on_one_cashiers_sales_own_cards_first(client, staff_headers,
                                                                                  cashier_own_and_friends_sales):
    employee, friend = cashier_own_and_friends_sales
    response = client.get("/v1/staff/reports/cashier-cards", query_string={"min_sales": 3, "days": 1},
                          headers=staff_headers("auditor"))
    assert response.status_code == 200, response.json
    assert response.json == [
        {"store_code": "S1", "cashier": "0042", "member_id": employee.public_id, "sales": 1, "points": 5,
         "cashier_sales": 4, "own_card": True},
        {"store_code": "S1", "cashier": "0042", "member_id": friend.public_id, "sales": 3, "points": 30,
         "cashier_sales": 4, "own_card": False}]


def test_the_cashier_check_is_for_auditors_not_marketers_and_bounds_its_query(client, staff_headers):
    assert client.get("/v1/staff/reports/cashier-cards", headers=staff_headers("marketer")).status_code == 403
    refused = client.get("/v1/staff/reports/cashier-cards", query_string={"limit": 1001, "min_sales": 1},
                         headers=staff_headers("admin"))
    assert (refused.status_code, sorted(refused.json["errors"])) == (422, ["limit", "min_sales"])


def test_a_marketer_reads_a_campaigns_lift_against_its_holdout_group(client, staff_headers, make_member, earn,
                                                                    clock, database):
    for _ in range(10):
        make_member()
    create_campaign(database, code="summer", name="Summer", starts_at=clock(), ends_at=clock() + timedelta(days=30),
                    holdout_share=Decimal("0.2"), now=clock())
    marketer = staff_headers("marketer")
    response = client.get("/v1/staff/reports/campaigns/summer/lift", headers=marketer)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["targeted"]["members"] + body["control"]["members"] == 10
    assert (body["holdout_share"], body["spend_lift"], body["targeted"]["buyers"]) == ("0.2", None, 0)
    assert client.get("/v1/staff/reports/campaigns/winter/lift", headers=marketer).status_code == 404
    assert client.get("/v1/staff/reports/campaigns/summer/lift", headers=staff_headers("support")).status_code == 403


def test_finance_reads_the_points_owed_month_by_month(client, staff_headers, make_member, earn, database, clock):
    clock.advance(days=-10)
    make_member(points=300)  # 2026-02-20
    close_months(database, as_of=clock.advance(days=10))  # 2026-03-02: February is closed
    response = client.get("/v1/staff/reports/liability", query_string={"months": 2}, headers=staff_headers("auditor"))
    assert response.status_code == 200, response.json
    [february, march] = response.json
    assert (february["month"], february["adjusted"], february["closing"], february["closed"]) == (
        "2026-02", 300, 300, True)
    assert (march["month"], march["opening"], march["closing"], march["closing_value_minor"], march["closed"]) == (
        "2026-03", 300, 300, 300, False)
    refused = client.get("/v1/staff/reports/liability", query_string={"months": 0}, headers=staff_headers("auditor"))
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["months"])
    assert client.get("/v1/staff/reports/liability", headers=staff_headers("support")).status_code == 403


def test_finance_reads_the_vouchers_not_yet_used(client, staff_headers, make_member, database, clock):
    create_reward(database, code="MUG", name="Mug", points_price=100, valid_from=clock(), now=clock())
    redeem_reward(database, RedeemReward("MUG", make_member(points=500).public_id), caller="web",
                  idempotency_key="r-1", now=clock())
    response = client.get("/v1/staff/reports/vouchers", headers=staff_headers("auditor"))
    assert (response.status_code, response.json) == (
        200, {"usable": 1, "usable_points": 100, "expired": 0, "expired_points": 0})
    assert client.get("/v1/staff/reports/vouchers", headers=staff_headers("support")).status_code == 403
