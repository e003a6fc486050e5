"""A change of the programme's configuration on the console keeps what its form asked in the
audit entry, as over the API, without the form's own fields (the CSRF token, the form's key)."""
from engine.audit import list_audit


def test_a_reward_added_on_the_console_keeps_its_forms_fields_without_the_forms_own(console_as, database):
    added = console_as("marketer").submit("/console/programme", {"code": "MUG", "name": "Coffee mug",
                                                                 "points_price": "500", "stock": "10"})
    assert added.status_code == 302
    [entry] = list_audit(database, action="POST /console/programme")
    kept = entry.detail["asked"]
    assert {name: kept[name] for name in ("code", "name", "points_price", "stock")} == {
        "code": "MUG", "name": "Coffee mug", "points_price": "500", "stock": "10"}
    assert "csrf_token" not in kept and "form_key" not in kept
