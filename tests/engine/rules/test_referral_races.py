"""One referral recorded by several requests at one instant, on a real PostgreSQL: it is
recorded once, every other request is told the member was already referred (409)."""
import pytest

from engine.errors import Conflict
from engine.members import enrol_member
from engine.rules.referrals import record_referral
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres


def test_a_referral_recorded_at_once_by_several_requests_is_recorded_once(postgres_db, clock):
    referrer, referred = (enrol_member(postgres_db, full_name=name, email=f"{name.lower()}@example.org", now=clock())
                          for name in ("Ada", "Grace"))
    made, raised = all_at_once(lambda n: record_referral(
        postgres_db, referrer_id=referrer.public_id, referred_id=referred.public_id, now=clock()))
    assert len(made) == 1
    assert len(raised) == 7 and all(isinstance(e, Conflict) and e.code == "already_referred" for e in raised)
