"""Rules over HTTP: a marketer drafts, validates, simulates, publishes, rolls back and
retires; the next terminal accrual earns by what was published."""
import pytest

from tests.support.assertions import unchanged

COFFEE_BONUS = {"key": "coffee-bonus", "name": "50 bonus points on coffee", "priority": 10,
                "conditions": [{"kind": "category", "values": ["coffee"]}],
                "effect": {"kind": "fixed_per_transaction", "points": 50}}


@pytest.fixture
def marketer(staff_headers):
    return staff_headers("marketer")


@pytest.fixture
def sample_basket(terminal, clock):
    return {"store_code": terminal.store_code, "occurred_at": clock().isoformat(), "currency": "EUR",
            "lines": [{"line_no": 1, "sku": "LATTE", "quantity": "1", "amount_minor": 450, "category": "coffee"},
                      {"line_no": 2, "sku": "BAGEL", "quantity": "1", "amount_minor": 350, "category": "bakery"}]}


def test_a_valid_definition_has_no_problems(client, marketer):
    response = client.post("/v1/staff/rules/validate", json=COFFEE_BONUS, headers=marketer)
    assert (response.status_code, response.json) == (200, {"valid": True, "problems": []})


def test_validation_names_every_problem_with_its_field(client, marketer):
    wrong = {**COFFEE_BONUS, "effect": {"kind": "fixed_per_transaction", "points": -5},
             "conditions": [{"kind": "weather"}]}
    response = client.post("/v1/staff/rules/validate", json=wrong, headers=marketer)
    assert response.status_code == 200 and response.json["valid"] is False
    fields = {p["field"] for p in response.json["problems"]}
    assert {"effect.points", "conditions[0].kind"} <= fields, response.json


def test_an_invalid_draft_is_refused_and_saves_nothing(client, marketer, database):
    with unchanged(database):
        response = client.post("/v1/staff/rules/drafts", json={**COFFEE_BONUS, "priority": "high"}, headers=marketer)
    assert (response.status_code, list(response.json["errors"])) == (422, ["priority"])


def test_a_draft_simulates_before_it_is_published_and_posts_nothing(client, marketer, sample_basket, make_member,
                                                                      database):
    member = make_member()
    assert client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer).status_code == 201
    body = {"basket": sample_basket, "member_id": member.public_id}
    with unchanged(database):
        published = client.post("/v1/staff/rules/simulate", json=body, headers=marketer)
        drafted = client.post("/v1/staff/rules/simulate", json=body | {"draft_keys": ["coffee-bonus"]},
                              headers=marketer)
    assert (published.status_code, published.json["points"]) == (200, 8)
    assert drafted.json["points"] == 58
    bonus = [a for a in drafted.json["awards"] if a["rule_key"] == "coffee-bonus"]
    assert [(a["version"], a["applied"]) for a in bonus] == [(1, 50)]


def test_an_unsaved_rule_simulates_for_a_hypothetical_member(client, marketer, sample_basket):
    gold_only = {**COFFEE_BONUS, "conditions": [{"kind": "tier", "values": ["gold"]}]}
    body = {"basket": sample_basket, "member": {"tier_code": "gold"}, "rules": [gold_only]}
    response = client.post("/v1/staff/rules/simulate", json=body, headers=marketer)
    assert response.status_code == 200, response.json
    assert [(a["rule_key"], a["version"], a["applied"]) for a in response.json["awards"] if a["rule_key"] != "base"] \
        == [("coffee-bonus", None, 50)]


@pytest.mark.parametrize("path", ["/v1/staff/rules/simulate", "/v1/staff/rules/drafts"])
def test_a_bound_of_a_billion_digits_is_refused_at_once(client, marketer, sample_basket, database, path):
    huge = {**COFFEE_BONUS, "conditions": [{"kind": "basket_total", "minimum": "1e999999999"}]}
    body = {"basket": sample_basket, "member": {}, "rules": [huge]} if path.endswith("simulate") else huge
    with unchanged(database):
        response = client.post(path, json=body, headers=marketer)
    assert response.status_code == 422
    assert any(field.endswith("conditions[0].minimum") for field in response.json["errors"]), response.json


def test_a_published_rule_changes_the_next_accrual(client, marketer, terminal, make_our_card, card_session, clock):
    client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer)
    published = client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    assert (published.status_code, [(v["rule_key"], v["status"]) for v in published.json]) == \
        (200, [("coffee-bonus", "published")])
    card = make_our_card()
    clock.advance(seconds=1)
    sale = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": card_session(card)["card_session"],
            "lines": [{"line_no": 1, "sku": "LATTE", "quantity": "1", "amount_minor": 450, "category": "coffee"}]}
    response = terminal.post("/v1/terminal/accruals", sale)
    assert (response.status_code, response.json["points"]) == (201, 54)
    assert "coffee-bonus" in [r["rule_key"] for r in response.json["rules"]]


def test_publishing_again_finds_no_draft_and_changes_nothing(client, marketer, database):
    client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer)
    client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    with unchanged(database):
        again = client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    assert again.status_code == 422 and "no draft" in again.json["errors"]["keys[0]"][0]


def test_rollback_publishes_an_earlier_definition_as_a_new_version(client, marketer, clock):
    client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer)
    client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    clock.advance(seconds=1)
    bigger = {**COFFEE_BONUS, "effect": {"kind": "fixed_per_transaction", "points": 500}}
    client.post("/v1/staff/rules/drafts", json=bigger, headers=marketer)
    client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    clock.advance(seconds=1)
    response = client.post("/v1/staff/rules/coffee-bonus/rollback", json={"version": 1}, headers=marketer)
    assert (response.status_code, response.json["version"]) == (200, 3)
    assert response.json["definition"]["effect"]["points"] == 50
    history = client.get("/v1/staff/rules/versions", query_string={"rule_key": "coffee-bonus"}, headers=marketer)
    assert [(v["version"], v["status"]) for v in history.json] == [(1, "superseded"), (2, "superseded"),
                                                                   (3, "published")]


def test_rule_versions_are_listed_a_page_at_a_time(client, marketer):
    for n in range(3):
        client.post("/v1/staff/rules/drafts", json={**COFFEE_BONUS, "key": f"rule-{n}"}, headers=marketer)
    page = client.get("/v1/staff/rules/versions", query_string={"limit": 2, "offset": 1}, headers=marketer)
    assert [v["rule_key"] for v in page.json] == ["rule-1", "rule-2"]


def test_a_retired_rule_no_longer_earns_and_cannot_be_retired_twice(client, marketer, sample_basket, make_member,
                                                                     clock):
    client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer)
    client.post("/v1/staff/rules/publish", json={"keys": ["coffee-bonus"]}, headers=marketer)
    clock.advance(seconds=1)
    assert client.post("/v1/staff/rules/coffee-bonus/retire", json={}, headers=marketer).status_code == 200
    clock.advance(seconds=1)
    body = {"basket": {**sample_basket, "occurred_at": clock().isoformat()}, "member_id": make_member().public_id}
    assert client.post("/v1/staff/rules/simulate", json=body, headers=marketer).json["points"] == 8
    again = client.post("/v1/staff/rules/coffee-bonus/retire", json={}, headers=marketer)
    assert (again.status_code, again.json["error"]) == (409, "rule_not_published")


def test_export_then_import_reproduces_the_rules_in_force(client, marketer, clock):
    client.post("/v1/staff/rules/import", json={"rules": [COFFEE_BONUS], "publish": True}, headers=marketer)
    clock.advance(seconds=1)
    exported = client.get("/v1/staff/rules/export", headers=marketer)
    assert [d["key"] for d in exported.json] == ["coffee-bonus"]
    imported = client.post("/v1/staff/rules/import", json={"rules": exported.json, "publish": True}, headers=marketer)
    assert [(v["version"], v["status"]) for v in imported.json] == [(2, "published")]


def test_rules_whose_conditions_take_no_values_are_exported_and_imported_again(client, marketer, clock):
    big_baskets = {"key": "big-baskets", "name": "Big baskets", "effect": {"kind": "fixed_per_transaction", "points": 50},
                   "conditions": [{"kind": "basket_total", "minimum": "100.00"}, {"kind": "birthday_month"}]}
    client.post("/v1/staff/rules/import", json={"rules": [big_baskets], "publish": True}, headers=marketer)
    clock.advance(seconds=1)
    exported = client.get("/v1/staff/rules/export", headers=marketer)
    assert exported.status_code == 200
    assert exported.json[0]["conditions"] == [{"kind": "basket_total", "minimum": "100.00"}, {"kind": "birthday_month"}]
    imported = client.post("/v1/staff/rules/import", json={"rules": exported.json, "publish": True}, headers=marketer)
    assert [(v["version"], v["status"]) for v in imported.json] == [(2, "published")]


def test_an_import_with_one_invalid_rule_saves_none(client, marketer, database):
    broken = {**COFFEE_BONUS, "key": "broken", "effect": {"kind": "fixed_per_transaction", "points": 0}}
    with unchanged(database):
        response = client.post("/v1/staff/rules/import", json={"rules": [COFFEE_BONUS, broken]}, headers=marketer)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["rules[1].effect.points"]


def test_an_import_naming_a_rule_twice_saves_none_and_says_which(client, marketer, database):
    other = {**COFFEE_BONUS, "name": "Coffee bonus, the other one"}
    with unchanged(database):
        response = client.post("/v1/staff/rules/import", json={"rules": [COFFEE_BONUS, other]}, headers=marketer)
    assert response.status_code == 422
    assert response.json["errors"] == {"rules[1].key": ["rule 'coffee-bonus' is given twice (also rules[0])"]}


@pytest.mark.parametrize("role", ["support", "auditor"])
def test_roles_without_programme_write_cannot_change_rules(client, staff_headers, role, database):
    headers = staff_headers(role)
    with unchanged(database):
        response = client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=headers)
    assert (response.status_code, response.json["error"]) == (403, "missing_permission")


def test_members_and_terminals_cannot_reach_the_rules(client, member_headers, make_member, terminal):
    assert client.get("/v1/staff/rules/versions", headers=member_headers(make_member())).status_code == 401
    assert terminal.get("/v1/staff/rules/versions").status_code == 401
