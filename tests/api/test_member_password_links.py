"""Password links over HTTP: asking answers 202 whatever the address; the link's secret sets
the password once; support invites a member; the asking counts against the address's
sign-in allowance; bad bodies change nothing."""
from engine.messages import pending_messages
from tests.support.password_links import sent_link

NEW = "a new long passphrase"


def test_a_member_asks_sets_a_password_with_the_link_and_signs_in(client, database, make_member):
    ada = make_member(email="ada@example.org")
    for email in ("ada@example.org", "nobody@example.org"):
        asked = client.post("/v1/member/password-links", json={"email": email})
        assert (asked.status_code, asked.json["message"]) == (
            202, "If this address is a member's, a link to set the password is on its way.")
    used = client.post("/v1/member/password-links/use", json={"link": sent_link(database), "password": NEW})
    assert (used.status_code, used.json) == (200, {"member_id": ada.public_id})
    again = client.post("/v1/member/password-links/use", json={"link": sent_link(database), "password": NEW})
    assert (again.status_code, again.json["error"]) == (401, "invalid_link")
    signed_in = client.post("/v1/member/sessions", json={"email": "ada@example.org", "password": NEW})
    assert signed_in.status_code == 201


def test_support_invites_a_member_and_others_may_not(client, database, staff_headers, member_headers, make_member):
    ada = make_member(email="ada@example.org")
    invited = client.post(f"/v1/staff/members/{ada.public_id}/invitation", json={}, headers=staff_headers("support"))
    assert invited.status_code == 202 and "expires_at" in invited.json
    assert pending_messages(database)[-1].payload["purpose"] == "invitation"
    for role in ("marketer", "auditor", "mailer"):
        assert client.post(f"/v1/staff/members/{ada.public_id}/invitation", json={},
                           headers=staff_headers(role)).status_code == 403
    assert client.post("/v1/staff/members/M0000000000000/invitation", json={},
                       headers=staff_headers("support")).status_code == 404


def test_bad_bodies_are_refused_naming_the_field(client, database, make_member):
    make_member(email="ada@example.org")
    for body, field in (({}, "email"), ({"email": "ada@example.org", "admin": True}, "admin"),
                        ({"email": 7}, "email")):
        response = client.post("/v1/member/password-links", json=body)
        assert (response.status_code, list(response.json["errors"])) == (422, [field]), body
    assert [m for m in pending_messages(database) if m.kind == "password_link"] == []
    weak = client.post("/v1/member/password-links/use", json={"link": "x" * 40, "password": "short"})
    assert (weak.status_code, list(weak.json["errors"])) == (422, ["password"])


def test_a_person_joins_over_http_and_the_answer_is_the_same_for_a_members_address(client, database, make_member):
    make_member(email="grace@example.org")
    for email in ("ada@example.org", "grace@example.org"):
        joined = client.post("/v1/member/sign-ups", json={"full_name": "Ada Lovelace", "email": email,
                                                          "consents": {"marketing_email": True}})
        assert (joined.status_code, joined.json["message"]) == (
            202, "A link to set your password is on its way to this address."), email
    assert sorted(m.email for m in pending_messages(database)) == ["ada@example.org", "grace@example.org"]
    for body, field in (({"full_name": "Ada"}, "email"), ({"full_name": "Ada", "email": "x@example.org",
                                                           "tier": "gold"}, "tier"),
                        ({"full_name": "Ada", "email": "nope"}, "email")):
        response = client.post("/v1/member/sign-ups", json=body)
        assert (response.status_code, list(response.json["errors"])) == (422, [field]), body
