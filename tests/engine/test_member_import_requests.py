"""Member imports through the console and the staff API: one person asks with a file, which
is checked and kept; another approves, and the members are imported then, in the approval's
transaction; the asker cannot approve, a request is decided once, and a file that no longer
fits is refused at approval and stays pending, nothing imported."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.member_import_requests import (AskToImport, DecideImport, ask_to_import, decide_import,
                                           get_import_request, imported_members, list_import_requests,
                                           purge_import_answers)
from engine.members import find_members, get_member
from engine.orm.members import MemberImportRequestRow
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

FILE = """full_name,email,opening_points,card_uid,reference
Ada Lovelace,ada@example.org,1200,04A1B2C3D4E5F6,C-1
Grace Hopper,grace@example.org,0,,C-2
"""


def ask(database, clock, text=FILE, actor="sam"):
    return ask_to_import(database, AskToImport("old-crm.csv", text, actor), caller=f"staff:{actor}",
                         idempotency_key=new_key(), now=clock())


def decide(database, clock, import_id, approve=True, actor="kim", key=None):
    return decide_import(database, DecideImport(import_id, approve, actor), caller=f"staff:{actor}",
                         idempotency_key=key or new_key(), now=clock())


def test_a_file_is_checked_and_kept_and_its_members_arrive_when_someone_else_approves(database, clock):
    asked = ask(database, clock)
    assert (asked.status, asked.members, asked.points, asked.cards, asked.requested_by) == ("pending", 2, 1200, 1, "sam")
    assert find_members(database, "ada@example.org") == []  # nothing imported yet
    approved = decide(database, clock, asked.import_id)
    assert (approved.status, approved.decided_by) == ("approved", "kim")
    ada, grace = imported_members(database, asked.import_id)
    assert [(m.line, m.reference, m.opening_points) for m in (ada, grace)] == [(2, "C-1", 1200), (3, "C-2", 0)]
    assert get_member(database, ada.member_id).email == "ada@example.org"
    assert get_balance(database, ada.member_id, as_of=clock()).available == 1200
    assert get_import_request(database, asked.import_id) == approved
    assert [r.import_id for r in list_import_requests(database, status="approved")] == [asked.import_id]
    assert check_ledger(database) == []


def test_a_file_with_problems_is_refused_when_asked_and_nothing_is_kept(database, clock, make_member):
    make_member(email="grace@example.org")
    with refused_unchanged(database, InvalidInput) as refusal:
        ask(database, clock)
    assert [str(p) for p in refusal.value.problems] == ["line 3.email: is the address of a member already"]
    with refused_unchanged(database, InvalidInput) as refusal:
        ask(database, clock, "name\nAda\n")
    assert "header" in str(refusal.value)


def test_the_asker_cannot_decide_and_a_request_is_decided_once(database, clock):
    asked = ask(database, clock)
    with refused_unchanged(database, NotAllowed, "four_eyes_required"):
        decide(database, clock, asked.import_id, actor="sam")
    rejected = decide(database, clock, asked.import_id, approve=False)
    assert rejected.status == "rejected" and find_members(database, "ada@example.org") == []
    with refused_unchanged(database, InvalidState, "import_already_decided"):
        decide(database, clock, asked.import_id)
    with pytest.raises(InvalidState, match="only an approved import"):
        imported_members(database, asked.import_id)
    with pytest.raises(NotFound):
        decide(database, clock, "import_nope")


def test_an_approval_retried_under_its_key_gets_the_first_answer_and_imports_once(database, clock):
    asked = ask(database, clock)
    first = decide(database, clock, asked.import_id, key="approve-1")
    assert decide(database, clock, asked.import_id, key="approve-1") == first
    assert [len(find_members(database, email)) for email in ("ada@example.org", "grace@example.org")] == [1, 1]


def test_a_file_that_no_longer_fits_is_refused_at_approval_and_stays_pending(database, clock, make_member):
    asked = ask(database, clock)
    make_member(email="ada@example.org")  # joined at a till meanwhile
    with refused_unchanged(database, InvalidInput) as refusal:
        decide(database, clock, asked.import_id)
    assert [str(p) for p in refusal.value.problems] == ["line 2.email: is the address of a member already"]
    assert get_import_request(database, asked.import_id).status == "pending"
    assert decide(database, clock, asked.import_id, approve=False).status == "rejected"


def test_the_file_is_not_kept_once_decided_and_the_new_ids_only_for_the_key_retention(database, clock):
    approved, rejected = ask(database, clock), ask(database, clock, FILE.replace("example.org", "example.net"))
    decide(database, clock, approved.import_id)
    decide(database, clock, rejected.import_id, approve=False)
    with database.transaction() as session:
        kept = session.execute(sa.select(MemberImportRequestRow.csv)).scalars().all()
    assert kept == ["", ""]  # the people in the files: members now, or nobody
    assert purge_import_answers(database, as_of=clock() + timedelta(days=29)) == 0
    assert len(imported_members(database, approved.import_id)) == 2
    assert purge_import_answers(database, as_of=clock() + timedelta(days=31)) == 1
    with pytest.raises(InvalidState, match="were kept for 30 days"):
        imported_members(database, approved.import_id)
