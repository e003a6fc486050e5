from decimal import Decimal

import pytest

from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers

LADDER = [TierDefinition("BASIC", "Basic", 0), TierDefinition("SILVER", "Silver", 500, Decimal("1.25")),
          TierDefinition("GOLD", "Gold", 2000, Decimal("1.5")), TierDefinition("PLATINUM", "Platinum", 5000,
                                                                                Decimal(2))]


@pytest.fixture
def tiers(database, clock):
    """``tiers(grace_months=3, window="rolling_months")``: define Basic/Silver/Gold/Platinum."""
    def define(**policy):
        define_tiers(database, LADDER, TierPolicy(**policy), now=clock())
        return LADDER
    return define
