from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account
from engine.access.tokens import issue_token, live_token, purge_tokens, revoke_token, token_hash
from engine.errors import NotAuthenticated
from engine.orm.access import AccessTokenRow, StaffAccountRow


@pytest.fixture
def staff_token(database, clock):
    create_staff_account(database, username="ada", full_name="Ada", password="correct horse battery",
                         roles=["admin"], passwords=Passwords.cheap(), now=clock())
    with database.transaction() as session:
        staff_id = session.scalar(sa.select(StaffAccountRow.id).where(StaffAccountRow.username == "ada"))
        token, _ = issue_token(session, kind="staff", ttl=timedelta(hours=1), now=clock(), staff_id=staff_id)
    return token


def live(database, token, clock, kind="staff"):
    with database.transaction() as session:
        return live_token(session, token, kind=kind, now=clock()).kind


def test_a_token_works_until_it_expires(database, clock, staff_token):
    assert live(database, staff_token, clock) == "staff"
    clock.advance(minutes=59, seconds=59)
    assert live(database, staff_token, clock) == "staff"
    clock.advance(seconds=1)
    with pytest.raises(NotAuthenticated):
        live(database, staff_token, clock)


def test_a_revoked_token_stops_at_once_and_revoking_twice_does_nothing(database, clock, staff_token):
    revoke_token(database, staff_token, now=clock())
    revoke_token(database, staff_token, now=clock())
    revoke_token(database, "never issued", now=clock())
    with pytest.raises(NotAuthenticated):
        live(database, staff_token, clock)


def test_a_token_of_one_kind_is_refused_as_another(database, clock, staff_token):
    with pytest.raises(NotAuthenticated) as refused:
        live(database, staff_token, clock, kind="member")
    assert refused.value.code == "invalid_token"


@pytest.mark.parametrize("token", [None, "", "made up"])
def test_a_missing_or_unknown_token_is_refused(database, clock, token):
    with pytest.raises(NotAuthenticated):
        live(database, token, clock)


def test_only_the_tokens_hash_is_stored(database, staff_token):
    with database.transaction() as session:
        assert session.scalars(sa.select(AccessTokenRow.token_hash)).all() == [token_hash(staff_token)]
    assert staff_token not in token_hash(staff_token)


def test_purge_deletes_only_tokens_expired_more_than_a_day_ago(database, clock, staff_token):
    clock.advance(hours=24)
    assert purge_tokens(database, as_of=clock()) == 0
    clock.advance(hours=1, seconds=1)
    assert purge_tokens(database, as_of=clock()) == 1
