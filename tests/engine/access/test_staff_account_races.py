"""One username asked for by several requests at one instant, on a real PostgreSQL: one
account is made, every other request is told the name is taken (409), none faults."""
import pytest

from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account, list_staff_accounts
from engine.errors import Conflict
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres


def test_one_username_asked_for_at_once_makes_one_account(postgres_db, clock):
    made, raised = all_at_once(lambda n: create_staff_account(
        postgres_db, username="mia", full_name=f"Mia {n}", password="correct horse battery", roles=["marketer"],
        passwords=Passwords.cheap(), now=clock()))
    assert len(made) == 1 and len(raised) == 7
    assert all(isinstance(e, Conflict) and e.code == "username_taken" for e in raised)
    assert [a.username for a in list_staff_accounts(postgres_db)] == ["mia"]
