"""Stored answers round-trip through plain data, and one stored before a field was added
(with a default) is still read back, the field at its default."""
from datetime import UTC, datetime

import pytest

from engine.plain import from_plain, to_plain
from engine.points_grants import PointsGrant

GRANT = PointsGrant(grant_id="grant_1", segment="all", points=100, reason="sorry", status="approved",
                    requested_by="sam", requested_at=datetime(2026, 12, 1, tzinfo=UTC), members=3, total_points=300,
                    decided_by="kim", decided_at=datetime(2026, 12, 2, tzinfo=UTC), credited=3)


def test_an_answer_comes_back_as_it_was_stored():
    assert from_plain(PointsGrant, to_plain(GRANT)) == GRANT


def test_an_answer_stored_before_a_field_was_added_reads_with_its_default():
    stored_by_an_earlier_version = {k: v for k, v in to_plain(GRANT).items() if k != "credited"}
    assert from_plain(PointsGrant, stored_by_an_earlier_version).credited == 0


def test_an_answer_missing_a_field_without_a_default_is_not_read():
    with pytest.raises(KeyError):
        from_plain(PointsGrant, {k: v for k, v in to_plain(GRANT).items() if k != "members"})
