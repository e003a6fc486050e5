"""The audit log traces an account taken over: every sign-in (member and staff, API and pages)
and every change a member makes, under their name; a member's reads are not logged."""
from engine.audit import list_audit
from tests.api.conftest import PASSWORD


def entries(database, actor: str) -> list[tuple[str, str]]:
    return [(entry.action, entry.outcome) for entry in reversed(list_audit(database, actor=actor))]


def test_a_members_sign_in_and_changes_are_audited_under_their_name_and_reads_are_not(
        client, member_headers, make_member, database):
    member = make_member()
    headers = member_headers(member)  # signs in
    client.get("/v1/member/balance", headers=headers)
    client.post("/v1/member/pin", headers=headers, json={"pin": "4711", "password": PASSWORD})
    assert entries(database, f"member:{member.public_id}") == [("POST /v1/member/sessions", "201"),
                                                             ("POST /v1/member/pin", "204")]


def test_a_staff_sign_in_is_audited_under_their_name(client, staff_headers, database):
    staff_headers("support", username="sam")
    assert ("POST /v1/staff/sessions", "201") in entries(database, "staff:sam")
