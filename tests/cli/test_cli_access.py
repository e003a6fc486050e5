import json
import re
import stat
from datetime import UTC, datetime

import pyotp
import sqlalchemy as sa

from api import create_app
from engine.access import authenticators
from engine.audit_chain import seal_audit
from engine.card_keys import MasterKeys
from engine.messages import pending_messages
from engine.rules.segments import create_segment
from engine.settings import update_settings


def test_staff_accounts_are_created_and_listed_with_their_roles(run_cli, run_json):
    result = run_cli("staff", "create", "alice", "--name", "Alice A", "--role", "support", "--role", "auditor",
                     "--password", "long enough password")
    assert result.exit_code == 0, result.output
    [account] = run_json("staff", "list")
    assert (account["username"], account["roles"], account["active"]) == ("alice", ["auditor", "support"], True)


def test_an_operator_removes_the_authenticator_of_a_staff_member_who_lost_their_phone(run_cli, run_json, database,
                                                                                      clock):
    run_cli("staff", "create", "alice", "--name", "Alice A", "--role", "admin", "--password", "long enough password")
    secret = authenticators.start_enrolment(database, "alice", now=clock()).secret
    authenticators.confirm_enrolment(database, "alice", pyotp.TOTP(secret).at(clock()), now=clock())
    assert [a["two_step"] for a in run_json("staff", "list")] == [True]
    result = run_cli("staff", "remove-authenticator", "alice")
    assert result.exit_code == 0 and "signs in with its password alone" in result.output
    assert [a["two_step"] for a in run_json("staff", "list")] == [False]
    assert run_cli("staff", "remove-authenticator", "nobody").exit_code == 1


def test_an_operator_makes_the_set_up_code_a_staff_member_needs_where_two_steps_are_required(
        run_cli, database, clock):
    run_cli("staff", "create", "alice", "--name", "Alice A", "--role", "admin", "--password", "long enough password")
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    result = run_cli("staff", "allow-authenticator", "alice")
    assert result.exit_code == 0, result.output
    code = re.search(r"set-up code for alice: (\S+) \(until ", result.output).group(1)
    assert authenticators.start_enrolment(database, "alice", now=clock(), setup_code=code).secret
    assert run_cli("staff", "allow-authenticator", "nobody").exit_code == 1


def test_an_operator_checks_the_audit_chain_and_a_broken_one_exits_1(run_cli, database):
    run_cli("staff", "create", "alice", "--name", "Alice A", "--role", "admin", "--password", "long enough password")
    seal_audit(database, before=datetime(2100, 1, 1, tzinfo=UTC))  # the create command's own entry
    sound = run_cli("check-audit")
    assert sound.exit_code == 0 and "audit chain sound: 1 entries sealed" in sound.output
    with database.transaction() as session:
        session.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        session.execute(sa.text("UPDATE audit_log SET actor = 'cli:mallory'"))
    broken = run_cli("check-audit")
    assert broken.exit_code == 1 and "audit chain BROKEN at entry 1" in broken.output


def test_a_short_password_is_refused_with_the_reason(run_cli, run_json):
    result = run_cli("staff", "create", "bob", "--name", "Bob", "--role", "admin", "--password", "short")
    assert result.exit_code == 1 and "password: must be 10 to 200 characters" in result.output
    assert run_json("staff", "list") == []


def test_a_terminal_key_is_shown_once_and_can_be_revoked(run_cli, run_json):
    run_cli("stores", "create", "S1", "--name", "Store", "--timezone", "Europe/Berlin")
    run_cli("terminals", "create", "S1-T1", "--store", "S1")
    issued = run_json("terminal-keys", "issue", "S1-T1")
    assert issued["secret"] and issued["key_id"].startswith("tk_")
    [listed] = run_json("terminal-keys", "list", "S1-T1")
    assert listed["secret"] is None and listed["revoked_at"] is None
    assert run_cli("terminal-keys", "revoke", issued["key_id"]).exit_code == 0
    assert run_json("terminal-keys", "list")[0]["revoked_at"] is not None


def test_card_master_key_versions_are_added_to_a_private_file(run_cli, tmp_path):
    path = tmp_path / "keys"
    assert run_cli("card-keys", "new-version", "--file", str(path)).exit_code == 0
    assert "version 2" in run_cli("card-keys", "new-version", "--file", str(path)).output
    keys = MasterKeys.parse(path.read_text())
    assert sorted(keys.by_version) == [1, 2] and keys.by_version[1] != keys.by_version[2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_demo_writes_working_sign_ins_and_a_card_key_outside_the_repository(run_cli, database, instance_folder):
    assert run_cli("demo", "load").exit_code == 0
    credentials_file = instance_folder / "demo-credentials.json"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    credentials = json.loads(credentials_file.read_text())
    assert set(credentials["staff"]) == {"admin", "marketer", "support", "support2", "auditor", "mailer"}
    assert MasterKeys.parse((instance_folder / "card-master-keys").read_text()).current_version == 1
    client = create_app({"DATABASE": database}).test_client()
    signed_in = client.post("/v1/staff/sessions", json={"username": "admin",
                                                        "password": credentials["staff"]["admin"]})
    assert signed_in.status_code == 201
    email, login = next(iter(credentials["members"].items()))
    assert client.post("/v1/member/sessions", json={"email": email, "password": login["password"]}).status_code == 201


def test_an_operator_sends_a_member_a_password_link_and_one_without_an_address_is_refused(run_cli, database,
                                                                                         make_member):
    ada, nameless = make_member(email="ada@example.org"), make_member(email=None)
    sent = run_cli("member-login", "invite", ada.public_id)
    assert sent.exit_code == 0 and "waits for the mailer" in sent.output
    assert [m.payload["purpose"] for m in pending_messages(database)] == ["invitation"]
    refused = run_cli("member-login", "invite", nameless.public_id)
    assert refused.exit_code == 1 and "no_email" in refused.output


def test_an_operator_invites_a_segment_and_must_name_a_member_or_a_segment(run_cli, database, clock, make_member):
    members = [make_member(email=f"m{n}@example.org") for n in range(3)]
    create_segment(database, code="moved", member_ids=[m.public_id for m in members], now=clock())
    sent = run_cli("member-login", "invite", "--segment", "moved")
    assert sent.exit_code == 0 and "password links for 3 members of moved" in sent.output
    assert run_cli("member-login", "invite").exit_code == 2
    assert run_cli("member-login", "invite", members[0].public_id, "--segment", "moved").exit_code == 2
