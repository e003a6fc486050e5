"""A staff member makes ten new recovery codes with a code their authenticator shows now: the
old ones are void, a recovery code does not make new ones, and wrong codes count toward the
sign-in lockout."""
from tests.api.test_staff_authenticator import set_up, sign_in


def renew(client, headers, code):
    return client.post("/v1/staff/authenticator/recovery-codes", json={"code": code}, headers=headers)


def test_new_recovery_codes_replace_the_old_ones(client, staff_headers, clock):
    sam = staff_headers("support", username="sam")
    app, old = set_up(client, sam, clock)
    renewed = renew(client, sam, app.at(clock()))
    assert renewed.status_code == 200, renewed.json
    new = renewed.json["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert sign_in(client, code=old[0]).json["error"] == "wrong_credentials"
    assert sign_in(client, code=new[0]).status_code == 201


def test_the_code_is_taken_once_and_a_recovery_code_makes_none(client, staff_headers, clock):
    sam = staff_headers("support", username="sam")
    app, old = set_up(client, sam, clock)
    code = app.at(clock())
    assert renew(client, sam, code).status_code == 200
    again = renew(client, sam, code)
    assert (again.status_code, again.json["errors"]) == (422, {"code": ["wrong code"]})
    assert renew(client, sam, old[1]).status_code == 422


def test_wrong_codes_count_toward_the_sign_in_lockout(client, staff_headers, clock):
    sam = staff_headers("support", username="sam")
    app, _ = set_up(client, sam, clock)
    answers = [renew(client, sam, "000000" if app.at(clock()) != "000000" else "111111") for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert "too many wrong attempts" in answers[-1].json["message"]
    assert sign_in(client, code=app.at(clock())).json["error"] == "locked_out"


def test_without_an_authenticator_there_is_nothing_to_renew(client, staff_headers):
    refused = renew(client, staff_headers("support"), "123456")
    assert (refused.status_code, refused.json["error"]) == (409, "authenticator_not_set")
