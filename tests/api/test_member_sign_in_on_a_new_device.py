"""Where the programme asks for it (``member_new_device_code``), a member signing in on a
device they never used gives a code sent to their e-mail address as well as the password;
a device they used before needs none, and a wrong code counts like a wrong password."""
import json

import pytest

from engine.access.member_devices import MAX_DEVICES
from engine.access.member_logins import set_member_password
from engine.messages import mark_delivered, pending_messages
from engine.orm.jobs import OutboxMessageRow
from engine.settings import update_settings
from tests.api.conftest import PASSWORD, PASSWORDS
from tests.support.api_clients import bearer


@pytest.fixture
def member(database, make_member, clock):
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    update_settings(database, {"member_new_device_code": True}, now=clock())
    return member


def sign_in(client, member, password=PASSWORD, **fields):
    return client.post("/v1/member/sessions", json={"email": member.email, "password": password, **fields})


def codes(database):
    return [m for m in pending_messages(database) if m.kind == "sign_in_code"]


def test_a_new_device_gets_a_code_by_mail_and_signs_in_with_it(client, database, member):
    asked = sign_in(client, member)
    assert (asked.status_code, asked.json["error"]) == (401, "device_code_required")
    [message] = codes(database)
    assert message.member_id == member.public_id and len(message.payload["code"]) == 6
    signed_in = sign_in(client, member, code=message.payload["code"])
    assert signed_in.status_code == 201, signed_in.json
    assert client.get("/v1/member/profile", headers=bearer(signed_in.json["token"])).status_code == 200
    again = sign_in(client, member, device_token=signed_in.json["device_token"])  # the same device: no code
    assert again.status_code == 201 and again.json["device_token"] == signed_in.json["device_token"]
    assert len(codes(database)) == 1


def test_asking_again_sends_no_second_code_while_the_first_lives(client, database, member, clock):
    sign_in(client, member)
    sign_in(client, member)
    assert len(codes(database)) == 1
    clock.advance(minutes=11)
    assert sign_in(client, member).json["error"] == "device_code_required"
    first, second = codes(database)
    assert sign_in(client, member, code=first.payload["code"]).status_code == 401  # expired with its time
    assert sign_in(client, member, code=second.payload["code"]).status_code == 201


def test_a_wrong_password_sends_no_code_and_says_nothing_of_devices(client, database, member):
    wrong = sign_in(client, member, password="not the password")
    assert (wrong.status_code, wrong.json["error"]) == (401, "wrong_credentials")
    assert codes(database) == []


def test_wrong_codes_count_toward_the_lockout_and_a_code_admits_one_device(client, database, member, clock):
    sign_in(client, member)
    [message] = codes(database)
    refusals = [sign_in(client, member, code="000000" if message.payload["code"] != "000000" else "111111")
                .json["error"] for _ in range(5)]
    assert refusals == ["wrong_credentials"] * 4 + ["locked_out"]
    assert sign_in(client, member, code=message.payload["code"]).json["error"] == "locked_out"
    clock.advance(minutes=16)
    assert sign_in(client, member, code=message.payload["code"]).json["error"] == "wrong_credentials"  # expired
    assert sign_in(client, member).json["error"] == "device_code_required"  # a new code goes out
    assert len(codes(database)) == 2


def test_the_password_alone_between_wrong_codes_does_not_clear_their_count(client, database, member):
    sign_in(client, member)
    [message] = codes(database)
    wrong = "000000" if message.payload["code"] != "000000" else "111111"
    refusals = []
    for _ in range(5):
        refusals.append(sign_in(client, member, code=wrong).json["error"])
        asked = sign_in(client, member)  # the right password, no code: nothing to clear the count with
        refusals.append(asked.json["error"])
    assert refusals[:8] == ["wrong_credentials", "device_code_required"] * 4
    assert refusals[8:] == ["locked_out"] * 2
    assert sign_in(client, member, code=message.payload["code"]).json["error"] == "locked_out"


def test_a_used_code_does_not_admit_a_second_device(client, database, member):
    sign_in(client, member)
    [message] = codes(database)
    assert sign_in(client, member, code=message.payload["code"]).status_code == 201
    assert sign_in(client, member, code=message.payload["code"]).status_code == 401


def test_another_members_device_token_is_a_new_device(client, database, member, make_member, clock):
    update_settings(database, {"member_new_device_code": False}, now=clock())
    other = make_member()
    set_member_password(database, other.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    theirs = sign_in(client, other).json["device_token"]
    update_settings(database, {"member_new_device_code": True}, now=clock())
    assert sign_in(client, member, device_token=theirs).json["error"] == "device_code_required"


def test_devices_used_before_the_setting_was_turned_on_need_no_code(client, database, member, clock):
    update_settings(database, {"member_new_device_code": False}, now=clock())
    device = sign_in(client, member).json["device_token"]
    update_settings(database, {"member_new_device_code": True}, now=clock())
    assert sign_in(client, member, device_token=device).status_code == 201


def test_a_member_keeps_the_most_recently_used_devices(client, database, member, clock):
    update_settings(database, {"member_new_device_code": False}, now=clock())
    first = sign_in(client, member).json["device_token"]
    for _ in range(MAX_DEVICES):
        clock.advance(seconds=1)
        sign_in(client, member)
    update_settings(database, {"member_new_device_code": True}, now=clock())
    assert sign_in(client, member, device_token=first).json["error"] == "device_code_required"


def test_the_code_leaves_the_message_once_delivered(client, database, member, clock):
    sign_in(client, member)
    [message] = codes(database)
    mark_delivered(database, [message.id], now=clock())
    with database.transaction() as session:
        kept = json.loads(session.get(OutboxMessageRow, message.id).payload)
    assert kept == {"code": None, "expires_at": message.payload["expires_at"]}


def test_the_members_export_lists_their_devices_without_tokens(client, database, member, clock):
    update_settings(database, {"member_new_device_code": False}, now=clock())
    first = sign_in(client, member)
    clock.advance(hours=1)
    second = sign_in(client, member)
    exported = client.get("/v1/member/export", headers=bearer(second.json["token"])).json
    assert [d["first_used_at"] == d["last_used_at"] for d in exported["devices"]] == [True, True]
    assert exported["devices"][0]["last_used_at"] > exported["devices"][1]["last_used_at"]  # newest first
    assert first.json["device_token"] not in str(exported) and second.json["device_token"] not in str(exported)
