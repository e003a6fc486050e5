"""Admins manage staff accounts over HTTP; nobody else can, and the programme never loses
its last admin."""
import pytest

from tests.api.conftest import PASSWORD
from tests.support.assertions import unchanged

NEW = {"username": "mia", "full_name": "Mia Marketer", "password": "a long enough passphrase", "roles": ["marketer"]}


@pytest.fixture
def admin(staff_headers):
    return staff_headers("admin", username="ada")


def sign_in(client, username, password):
    return client.post("/v1/staff/sessions", json={"username": username, "password": password})


def test_an_admin_adds_an_account_that_signs_in_with_its_roles(client, admin):
    created = client.post("/v1/staff/accounts", json=NEW, headers=admin)
    assert (created.status_code, created.json) == (201, {"username": "mia", "full_name": "Mia Marketer",
                                                         "roles": ["marketer"], "active": True, "two_step": False})
    signed_in = sign_in(client, "mia", NEW["password"])
    assert (signed_in.status_code, signed_in.json["roles"]) == (201, ["marketer"])
    assert "password" not in created.json and "mia" in [a["username"] for a in
                                                        client.get("/v1/staff/accounts", headers=admin).json]


def test_a_taken_username_is_a_conflict_and_adds_nothing(client, admin, database):
    client.post("/v1/staff/accounts", json=NEW, headers=admin)
    with unchanged(database):
        again = client.post("/v1/staff/accounts", json=NEW, headers=admin)
    assert (again.status_code, again.json["error"]) == (409, "username_taken")


def test_an_unknown_role_is_refused_naming_the_field(client, admin, database):
    with unchanged(database):
        response = client.post("/v1/staff/accounts", json=NEW | {"roles": ["root"]}, headers=admin)
    assert response.status_code == 422 and list(response.json["errors"]) == ["roles.0"]


def test_new_roles_apply_to_the_next_request(client, admin, staff_headers):
    mia = staff_headers("marketer", username="mia")
    assert client.get("/v1/staff/audit", headers=mia).status_code == 403
    changed = client.put("/v1/staff/accounts/mia/roles", json={"roles": ["marketer", "auditor"]}, headers=admin)
    assert changed.json["roles"] == ["auditor", "marketer"]
    assert client.get("/v1/staff/audit", headers=mia).status_code == 200


def test_a_deactivated_account_is_signed_out_at_once_and_can_come_back(client, admin, staff_headers):
    sam = staff_headers("support", username="sam")
    assert client.post("/v1/staff/accounts/sam/deactivate", json={}, headers=admin).json["active"] is False
    assert client.get("/v1/staff/members", headers=sam).json["error"] == "invalid_token"
    assert sign_in(client, "sam", PASSWORD).status_code == 401
    client.post("/v1/staff/accounts/sam/activate", json={}, headers=admin)
    assert client.get("/v1/staff/members", headers=sam).status_code == 401  # the old session stays ended
    assert sign_in(client, "sam", PASSWORD).status_code == 201


def test_the_last_admin_cannot_be_deactivated_or_demoted(client, admin, database):
    with unchanged(database):
        deactivated = client.post("/v1/staff/accounts/ada/deactivate", json={}, headers=admin)
        demoted = client.put("/v1/staff/accounts/ada/roles", json={"roles": ["support"]}, headers=admin)
    assert (deactivated.status_code, deactivated.json["error"]) == (409, "last_admin")
    assert (demoted.status_code, demoted.json["error"]) == (409, "last_admin")


def test_with_a_second_admin_the_first_may_step_down(client, admin, staff_headers):
    staff_headers("admin", username="bob")
    response = client.put("/v1/staff/accounts/ada/roles", json={"roles": ["auditor"]}, headers=admin)
    assert (response.status_code, response.json["roles"]) == (200, ["auditor"])


@pytest.mark.parametrize("role", ["marketer", "support", "auditor"])
def test_only_admins_manage_staff_accounts(client, staff_headers, role, database):
    headers = staff_headers(role)
    with unchanged(database):
        listed = client.get("/v1/staff/accounts", headers=headers)
        added = client.post("/v1/staff/accounts", json=NEW | {"roles": ["admin"]}, headers=headers)
    assert (listed.status_code, added.status_code) == (403, 403)


def test_signing_out_ends_the_staff_token(client, staff_headers):
    headers = staff_headers("auditor")
    assert client.delete("/v1/staff/sessions/current", headers=headers).status_code == 204
    assert client.get("/v1/staff/audit", headers=headers).json["error"] == "invalid_token"


def test_an_unknown_account_is_not_found(client, admin):
    assert client.post("/v1/staff/accounts/nobody/deactivate", json={}, headers=admin).status_code == 404
