"""Two-step sign-in for staff over HTTP: a staff member sets up their own authenticator app,
then signs in with a code; only an admin removes an authenticator; members and tills reach
none of it."""
import pyotp

from engine.access import authenticators

from engine.settings import update_settings
from tests.api.conftest import PASSWORD


def set_up(client, headers, clock, **setup_code) -> tuple[pyotp.TOTP, list[str]]:
    started = client.post("/v1/staff/authenticator", json=setup_code, headers=headers)
    assert started.status_code == 201, started.json
    app = pyotp.TOTP(started.json["secret"])
    confirmed = client.post("/v1/staff/authenticator/confirm", json={"code": app.at(clock())}, headers=headers)
    assert confirmed.status_code == 200, confirmed.json
    clock.advance(seconds=30)
    return app, confirmed.json["recovery_codes"]


def sign_in(client, **extra):
    return client.post("/v1/staff/sessions", json={"username": "sam", "password": PASSWORD, **extra})


def test_a_staff_member_sets_up_an_authenticator_and_then_signs_in_with_its_code(client, staff_headers, clock):
    app, recovery = set_up(client, staff_headers("support", username="sam"), clock)
    assert len(recovery) == 10
    without = sign_in(client)
    assert (without.status_code, without.json["error"]) == (401, "code_required")
    assert "token" not in without.json
    assert sign_in(client, code=app.at(clock())).status_code == 201
    assert sign_in(client, code=recovery[0]).status_code == 201
    wrong = sign_in(client, code="123456")
    assert (wrong.status_code, wrong.json["error"]) == (401, "wrong_credentials")


def test_a_second_set_up_is_refused_until_an_admin_removes_the_first(client, staff_headers, clock):
    sam = staff_headers("support", username="sam")
    set_up(client, sam, clock)
    again = client.post("/v1/staff/authenticator", json={}, headers=sam)
    assert (again.status_code, again.json["error"]) == (409, "authenticator_set")
    not_by_support = client.post("/v1/staff/accounts/sam/authenticator/remove", json={},
                                 headers=staff_headers("support"))
    assert not_by_support.status_code == 403
    admin = staff_headers("admin")
    assert client.post("/v1/staff/accounts/sam/authenticator/remove", json={}, headers=admin).status_code == 204
    assert sign_in(client).status_code == 201
    listed = {a["username"]: a["two_step"] for a in client.get("/v1/staff/accounts", headers=admin).json}
    assert listed["sam"] is False
    unknown = client.post("/v1/staff/accounts/nobody/authenticator/remove", json={}, headers=admin)
    assert unknown.status_code == 404


def test_a_wrong_confirmation_code_turns_nothing_on(client, staff_headers):
    sam = staff_headers("support", username="sam")
    assert client.post("/v1/staff/authenticator", json={}, headers=sam).status_code == 201
    wrong = client.post("/v1/staff/authenticator/confirm", json={"code": "12345x"}, headers=sam)
    assert (wrong.status_code, list(wrong.json["errors"])) == (422, ["code"])
    assert sign_in(client).status_code == 201


def test_members_and_tills_reach_no_authenticator(client, member_headers, make_member, terminal):
    headers = member_headers(make_member())
    assert client.post("/v1/staff/authenticator", json={}, headers=headers).status_code in (401, 403)
    assert terminal.post("/v1/staff/authenticator", {}).status_code in (401, 403)


def test_where_the_programme_asks_for_two_steps_a_session_without_them_only_sets_up_an_authenticator(
        client, staff_headers, database, clock):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    sam = staff_headers("support", username="sam")
    refused = client.get("/v1/staff/members", headers=sam)
    assert (refused.status_code, refused.json["error"]) == (403, "two_step_required")
    without = client.post("/v1/staff/authenticator", json={}, headers=sam)
    assert (without.status_code, without.json["error"]) == (403, "setup_code_required")
    # an admin without an authenticator makes the code with the command line (the API asks two steps of them too)
    set_up(client, sam, clock, setup_code=authenticators.allow_set_up(database, "sam", now=clock()).code)
    assert client.get("/v1/staff/members", headers=sam).status_code == 200


def test_only_an_admin_makes_a_set_up_code_and_it_sets_up_once(client, staff_headers, database, clock):
    admin, sam = staff_headers("admin"), staff_headers("support", username="sam")
    assert client.post("/v1/staff/accounts/sam/authenticator/allow", json={}, headers=sam).status_code == 403
    allowed = client.post("/v1/staff/accounts/sam/authenticator/allow", json={}, headers=admin)
    assert allowed.status_code == 201 and allowed.json["expires_at"]
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    set_up(client, sam, clock, setup_code=allowed.json["setup_code"])
    again = client.post("/v1/staff/accounts/sam/authenticator/allow", json={}, headers=admin)
    assert again.status_code == 403  # the admin has no authenticator yet: two steps are asked of them too
