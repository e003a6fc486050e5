"""Messages for members are handed to a deliverer oldest first, page by page, with the
member's name and e-mail, and marked delivered once."""
from datetime import timedelta

import pytest

from engine.errors import InvalidInput
from engine.jobs.catalogue import JOBS
from engine.messages import mark_delivered, pending_messages
from engine.settings import update_settings


@pytest.fixture
def warned(database, clock, make_member, earn):
    """Three members with points expiring within the warning window, warned by the job."""
    update_settings(database, {"expiry_months": 1, "expiry_rounding": "none", "pending_days": 0}, now=clock())
    members = [make_member(f"Member {n}") for n in range(3)]
    for member in members:
        earn(member, 5000, occurred_at=clock() - timedelta(days=20))
    JOBS["expiry_warnings"].run(database, clock(), None)
    return members


def test_a_deliverer_pages_through_the_warnings_and_marks_them_once(database, clock, warned):
    first = pending_messages(database, limit=2)
    assert [(m.kind, m.member_id, m.email) for m in first] == [
        ("expiry_warning", warned[0].public_id, warned[0].email), ("expiry_warning", warned[1].public_id,
                                                                   warned[1].email)]
    assert first[0].payload["points"] == 50 and first[0].payload["expires_at"].endswith("Z")
    rest = pending_messages(database, after_id=first[-1].id)
    assert [m.member_id for m in rest] == [warned[2].public_id]
    assert mark_delivered(database, [m.id for m in first], now=clock()) == 2
    assert mark_delivered(database, [m.id for m in first], now=clock() + timedelta(hours=1)) == 0
    assert [m.member_id for m in pending_messages(database)] == [warned[2].public_id]


def test_a_page_or_a_mark_out_of_bounds_is_refused(database, clock):
    with pytest.raises(InvalidInput, match="limit"):
        pending_messages(database, limit=0)
    with pytest.raises(InvalidInput, match="after_id"):
        pending_messages(database, after_id=2**31)  # beyond what the id column holds on PostgreSQL
    for ids in ([], [2**31], [0]):
        with pytest.raises(InvalidInput, match="ids"):
            mark_delivered(database, ids, now=clock())
