"""Fixtures shared by the engine's tests beyond the root ones."""
import pytest

from engine.ledger.commands import CaptureHold, PlaceHold
from engine.ledger.holds import capture_hold, place_hold
from tests.conftest import new_key


@pytest.fixture
def pay_with_points(database, clock, till):
    """``pay_with_points(member, 120)``: the test till holds and captures that many points."""
    def pay(member, points: int):
        placed = place_hold(database, PlaceHold(till.store_code, till.code, points, member_id=member.public_id),
                            caller="S1-T1", idempotency_key=new_key(), now=clock())
        capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    return pay
