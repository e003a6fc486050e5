"""A member gives their birthday once: the birthday-month rules and the birthday bonus follow
it, so moving it month by month would pay the bonus on demand. Support corrects it (audited);
other roles and members cannot."""
from datetime import date

import pytest

from engine import members
from engine.audit import list_audit
from tests.support.assertions import unchanged


def set_birthday(client, headers, birthday):
    return client.patch("/v1/member/profile", headers=headers, json={"birthday": birthday})


def test_a_member_gives_a_birthday_once_and_cannot_move_it(client, database, member_headers, make_member):
    member = make_member()
    headers = member_headers(member)
    assert set_birthday(client, headers, "1990-06-15").json["birthday"] == "1990-06-15"
    assert set_birthday(client, headers, "1990-06-15").status_code == 200  # the same again: no change
    with unchanged(database):
        moved = set_birthday(client, headers, "1990-12-15")
    assert moved.status_code == 422
    assert moved.json["errors"] == {"birthday": ["is set already; to correct it, ask support"]}
    assert members.get_member(database, member.public_id).birthday.isoformat() == "1990-06-15"


def test_support_corrects_a_birthday_and_the_audit_log_keeps_who(client, database, staff_headers, make_member):
    member = make_member(birthday=date(1990, 6, 15))
    response = client.put(f"/v1/staff/members/{member.public_id}/birthday", json={"birthday": "1990-07-15"},
                          headers=staff_headers("support", username="sam"))
    assert (response.status_code, response.json["birthday"]) == (200, "1990-07-15")
    [entry] = list_audit(database, action="PUT /v1/staff/members/<member_id>/birthday")
    assert (entry.actor, entry.outcome) == ("staff:sam", "200")


@pytest.mark.parametrize("role", ["marketer", "auditor"])
def test_roles_without_members_write_cannot_correct_a_birthday(client, database, staff_headers, make_member, role):
    member = make_member()
    headers = staff_headers(role)
    with unchanged(database):
        response = client.put(f"/v1/staff/members/{member.public_id}/birthday", json={"birthday": "1990-07-15"},
                              headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("birthday", ["1800-01-01", "0001-01-01", "2999-01-01"])
def test_a_birthday_no_member_can_have_is_refused(client, database, member_headers, make_member, birthday):
    member = make_member()
    headers = member_headers(member)
    with unchanged(database):
        response = set_birthday(client, headers, birthday)
    assert (response.status_code, list(response.json["errors"])) == (422, ["birthday"])
