"""Staff changing one member's attributes, or one list segment, at the same instant, on a
real PostgreSQL: every change is taken (one after the other), none fails on a row the other
inserted."""
import pytest

from engine.members import enrol_member
from engine.rules.segments import change_member_attributes, create_segment, member_attributes, member_segments, \
    upload_segment
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres


def test_concurrent_changes_of_one_members_new_attribute_all_succeed(postgres_db, clock):
    member = enrol_member(postgres_db, full_name="Ada Lovelace", email="ada@example.org", now=clock())
    _, raised = all_at_once(lambda n: change_member_attributes(
        postgres_db, member.public_id, to_set={"status": f"v{n}", f"own{n}": "x"}))
    assert raised == []
    attributes = member_attributes(postgres_db, member.public_id)
    assert attributes["status"] in {f"v{n}" for n in range(8)}
    assert {name for name in attributes if name.startswith("own")} == {f"own{n}" for n in range(8)}


def test_concurrent_uploads_of_one_list_segment_leave_the_last_list_whole(postgres_db, clock):
    members = [enrol_member(postgres_db, full_name=f"Member {n}", email=f"m{n}@example.org", now=clock()).public_id
               for n in range(3)]
    create_segment(postgres_db, code="vip", now=clock(), member_ids=[])
    assert all_at_once(lambda n: upload_segment(postgres_db, "vip", members)) == ([3] * 8, [])
    assert all(member_segments(postgres_db, m) == ["vip"] for m in members)
