"""Stored answers round-trip through plain data, and one stored before a field was added
(with a default) is still read back, the field at its default; a request's fingerprint
does not change when its command gains a field it leaves at the default."""
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from engine.ledger.basket import LinePoints
from engine.ledger.commands import PointsEarned
from engine.plain import fingerprint_json, from_plain, to_plain
from engine.points_grants import PointsGrant
from engine.rules.awards import RuleAward

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


@dataclass(frozen=True)
class _CommandBefore:
    member_id: str
    points: int


@dataclass(frozen=True)
class _CommandAfter:  # the same command after an upgrade gave it two options
    member_id: str
    points: int
    note: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def test_a_field_added_with_a_default_leaves_the_fingerprint_of_a_request_that_does_not_use_it():
    assert fingerprint_json(_CommandAfter("M1", 5)) == fingerprint_json(_CommandBefore("M1", 5))
    assert fingerprint_json([_CommandAfter("M1", 5)]) == fingerprint_json([_CommandBefore("M1", 5)])


def test_a_field_set_away_from_its_default_is_part_of_the_fingerprint():
    assert fingerprint_json(_CommandAfter("M1", 5, note="x")) != fingerprint_json(_CommandBefore("M1", 5))
    assert fingerprint_json(_CommandAfter("M1", 5, tags=("a",))) != fingerprint_json(_CommandBefore("M1", 5))


def test_a_value_equal_to_the_default_but_of_another_type_is_part_of_the_fingerprint():
    @dataclass(frozen=True)
    class Flagged:
        flag: bool = False

    assert fingerprint_json(Flagged(flag=0)) != fingerprint_json(Flagged())


def test_an_accrual_answer_with_its_rule_awards_comes_back_as_it_was_stored():
    # RuleAward runs compiled when engine.native's build is current: its annotations then
    # keep no item types, and its lines must still come back as tuples of tuples
    answer = PointsEarned(
        member_id="M1", store_code="S1", terminal_code="T1", receipt_number="R1", points=15,
        lines=[LinePoints(1, 400, 4), LinePoints(2, 600, 11)], available_at=datetime(2026, 12, 15, tzinfo=UTC),
        expires_at=None, transaction_id=7, balance=115, rules=[
            RuleAward("base", None, None, 10, 10, ((1, 4), (2, 6))),
            RuleAward("coffee", 3, "summer", 8, 5, ((2, 5),), capped_by="campaign_budget")])

    assert from_plain(PointsEarned, to_plain(answer)) == answer
