"""A change of the programme's configuration over the API keeps what was asked in its audit
entry (the new price, definition, end), so an auditor reads what changed, not only that
something did; a body too large to keep is noted by its size, and no other request's body is
kept (an append-only log must hold no personal data or secret it could never forget)."""
from datetime import date

from api.auth import CONFIGURATION_CHANGES
from engine.audit import list_audit

COFFEE_BONUS = {"key": "coffee-bonus", "name": "50 bonus points on coffee", "priority": 10,
                "conditions": [{"kind": "category", "values": ["coffee"]}],
                "effect": {"kind": "fixed_per_transaction", "points": 50}}


def asked(database, action: str) -> list:
    return [entry.detail.get("asked") if entry.detail else None
            for entry in reversed(list_audit(database, action=action))]


def test_a_reward_change_and_a_rule_draft_keep_what_was_asked(client, staff_headers, database):
    marketer = staff_headers("marketer", username="mia")
    client.post("/v1/staff/rewards", json={"code": "MUG", "name": "Mug", "points_price": 500}, headers=marketer)
    client.patch("/v1/staff/rewards/MUG", json={"points_price": 450}, headers=marketer)
    client.post("/v1/staff/rules/drafts", json=COFFEE_BONUS, headers=marketer)
    assert asked(database, "PATCH /v1/staff/rewards/") == [{"points_price": 450}]
    assert asked(database, "POST /v1/staff/rewards") == [{"code": "MUG", "name": "Mug", "points_price": 500}]
    assert asked(database, "POST /v1/staff/rules/drafts") == [COFFEE_BONUS]


def test_a_refused_change_and_a_member_change_keep_no_body(client, staff_headers, database, make_member):
    marketer, support = staff_headers("marketer"), staff_headers("support")
    client.patch("/v1/staff/rewards/NONE", json={"points_price": 450}, headers=marketer)
    member = make_member()
    corrected = client.put(f"/v1/staff/members/{member.public_id}/birthday",
                           json={"birthday": date(1990, 3, 5).isoformat()},
                           headers=support)
    assert corrected.status_code < 300, corrected.json
    assert asked(database, "PATCH /v1/staff/rewards/") == [None]
    assert asked(database, "PUT /v1/staff/members/") == [None]


def test_a_rule_import_too_large_to_keep_is_noted_by_its_size(client, staff_headers, database):
    rules = [{**COFFEE_BONUS, "key": f"coffee-{n}", "name": "x" * 150} for n in range(60)]
    client.post("/v1/staff/rules/import", json={"rules": rules}, headers=staff_headers("marketer"))
    [kept] = asked(database, "POST /v1/staff/rules/import")
    assert set(kept) == {"bytes"} and kept["bytes"] > 16_384



def test_every_configuration_change_kept_names_a_route_the_service_has(app):
    served = {f"{method} {rule.rule}" for rule in app.url_map.iter_rules() for method in rule.methods}
    assert sorted(CONFIGURATION_CHANGES - served) == []  # a route renamed would stop being kept, silently
