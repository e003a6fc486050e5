from engine.access.member_logins import set_member_password
from tests.api.conftest import PASSWORD, PASSWORDS
from tests.support.api_clients import bearer


def sign_in(client, email, password=PASSWORD):
    return client.post("/v1/member/sessions", json={"email": email, "password": password})


def test_the_right_email_and_password_give_a_member_token(client, database, make_member, clock):
    member = make_member(email="anna@example.org")
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    response = sign_in(client, "Anna@Example.org")
    assert response.status_code == 201
    assert response.json["member_id"] == member.public_id
    assert client.get("/v1/member/profile", headers=bearer(response.json["token"])).status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal(client, database, make_member, clock):
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    wrong = sign_in(client, member.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, database, make_member, clock):
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    refusals = [sign_in(client, member.email, "wrong password!").json["error"] for _ in range(5)]
    assert refusals == ["wrong_credentials"] * 4 + ["locked_out"]
    locked = sign_in(client, member.email)
    assert (locked.status_code, locked.json["error"]) == (401, "locked_out")
    clock.advance(minutes=16)
    assert sign_in(client, member.email).status_code == 201


def test_signing_out_revokes_the_token(client, member_headers, make_member):
    headers = member_headers(make_member())
    assert client.delete("/v1/member/sessions/current", headers=headers).status_code == 204
    after = client.get("/v1/member/profile", headers=headers)
    assert (after.status_code, after.json["error"]) == (401, "invalid_token")


def test_a_sign_in_with_extra_fields_is_refused(client, make_member):
    member = make_member()
    response = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD,
                                                        "member_id": "someone"})
    assert response.status_code == 422
