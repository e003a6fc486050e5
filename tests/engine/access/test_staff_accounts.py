import pytest

from engine.access.passwords import Passwords
from engine.access.principals import STAFF_PERMISSIONS, Principal, require_permission
from engine.access.staff import create_staff_account, list_staff_accounts, sign_in_staff
from engine.errors import Conflict, InvalidInput, NotAllowed

CHEAP = Passwords.cheap()
GOOD = dict(username="ada", full_name="Ada Lovelace", password="correct horse battery", roles=["admin"])


def create(database, clock, **changes):
    return create_staff_account(database, passwords=CHEAP, now=clock(), **(GOOD | changes))


@pytest.mark.parametrize("changes, field", [
    ({"username": "A"}, "username"), ({"username": "1ada"}, "username"), ({"username": "ada lovelace"}, "username"),
    ({"username": None}, "username"), ({"full_name": "  "}, "full_name"), ({"full_name": "x" * 201}, "full_name"),
    ({"password": "short"}, "password"), ({"roles": []}, "roles"), ({"roles": ["root"]}, "roles"),
    ({"roles": "admin"}, "roles"),
])
def test_each_problem_with_a_new_account_is_named(database, clock, changes, field):
    with pytest.raises(InvalidInput) as refused:
        create(database, clock, **changes)
    assert [p.field for p in refused.value.problems] == [field]
    assert list_staff_accounts(database) == []


def test_every_problem_is_reported_at_once(database, clock):
    with pytest.raises(InvalidInput) as refused:
        create(database, clock, username="X", full_name="", password="short", roles=["root"])
    assert sorted(p.field for p in refused.value.problems) == ["full_name", "password", "roles", "username"]


def test_a_taken_username_is_a_conflict(database, clock):
    create(database, clock)
    with pytest.raises(Conflict):
        create(database, clock, full_name="Another Ada")
    assert [a.full_name for a in list_staff_accounts(database)] == ["Ada Lovelace"]


def test_a_new_account_signs_in_with_its_roles(database, clock):
    create(database, clock, roles=["support", "auditor", "support"])
    signed_in = sign_in_staff(database, username="ada", password="correct horse battery", passwords=CHEAP,
                              now=clock())
    assert signed_in.principal.roles == {"support", "auditor"}
    assert signed_in.principal.permissions == STAFF_PERMISSIONS["support"] | STAFF_PERMISSIONS["auditor"]


def test_signing_in_ignores_the_case_and_spaces_around_the_username(database, clock):
    create(database, clock)
    signed_in = sign_in_staff(database, username=" Ada ", password="correct horse battery", passwords=CHEAP,
                              now=clock())
    assert signed_in.principal.name == "ada"


def test_members_and_terminals_hold_no_staff_permission():
    for principal in (Principal("member", "M1", roles=frozenset({"admin"})), Principal("terminal", "T1")):
        with pytest.raises(NotAllowed):
            require_permission(principal, "members.read")


def test_no_role_other_than_admin_both_changes_rules_and_moves_balances():
    both = {role for role, grants in STAFF_PERMISSIONS.items()
            if "programme.write" in grants and grants & {"adjustments.request", "adjustments.approve"}}
    assert both == {"admin"}
    assert all(not name.endswith((".write", ".request", ".approve", ".issue")) for name in STAFF_PERMISSIONS["auditor"])
