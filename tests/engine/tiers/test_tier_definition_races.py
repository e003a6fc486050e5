"""The tier ladder defined by several requests at one instant (a double click on the
console's save), on a real PostgreSQL: the definitions take turns, none faults, and the
ladder is the one sent."""
import pytest

from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, list_tiers
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres

LADDER = [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)]


def test_one_ladder_defined_at_once_by_several_requests_is_defined(postgres_db, clock):
    _, raised = all_at_once(lambda n: define_tiers(postgres_db, LADDER, TierPolicy(), now=clock()))
    assert raised == []
    assert [(t.code, t.threshold) for t in list_tiers(postgres_db)[0]] == [("BASIC", 0), ("GOLD", 1000)]
