"""Trying a draft on past sales over HTTP: a marketer sees what the last days' sales earned and
what the draft would have given them, per rule, with nothing posted; the window is bounded and
a support agent without the programme's permissions is refused."""
from tests.support.assertions import unchanged

SKU1_BONUS = {"key": "sku1-bonus", "name": "50 on SKU1", "conditions": [{"kind": "sku", "values": ["SKU1"]}],
              "effect": {"kind": "fixed_per_transaction", "points": 50}}


def test_a_marketer_tries_a_draft_on_the_last_days_sales_and_nothing_is_posted(client, staff_headers, make_member,
                                                                                earn, database):
    marketer = staff_headers("marketer")
    earn(make_member(), 1000)
    earn(make_member(), 2000)
    assert client.post("/v1/staff/rules/drafts", json=SKU1_BONUS, headers=marketer).status_code == 201
    with unchanged(database):
        tried = client.post("/v1/staff/rules/backtest", json={"days": 7, "draft_keys": ["sku1-bonus"]},
                            headers=marketer)
    assert tried.status_code == 200, tried.json
    assert (tried.json["sales"], tried.json["published"], tried.json["with_drafts"]) == (2, 30, 130)
    assert tried.json["rules"] == [{"rule_key": "base", "published": 30, "with_drafts": 30},
                                   {"rule_key": "sku1-bonus", "published": 0, "with_drafts": 100}]


def test_the_window_is_bounded_and_support_is_refused(client, staff_headers):
    wide = client.post("/v1/staff/rules/backtest", json={"days": 400, "max_sales": 0},
                       headers=staff_headers("marketer"))
    assert (wide.status_code, sorted(wide.json["errors"])) == (422, ["days", "max_sales"])
    assert client.post("/v1/staff/rules/backtest", json={}, headers=staff_headers("support")).status_code == 403
