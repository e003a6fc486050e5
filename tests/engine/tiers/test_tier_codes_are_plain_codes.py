"""A tier's code is a plain code, as a reward's is: letters, digits, '-' and '_'. Rules,
segments and the console list tier codes comma-separated, so a code with a space or a comma
(' VIP, elite ') could be defined but never named; it is refused and nothing changes."""
import pytest

from engine.errors import InvalidInput
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, list_tiers
from tests.support.assertions import refused_unchanged

MESSAGE = "must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit"


@pytest.mark.parametrize("code", [" VIP, elite ", "VIP elite", "VIP,elite", "vip/2026", "-vip", "_vip", "vip.",
                                  "VİP", "", "V" * 33])
def test_a_tier_code_that_is_not_a_plain_code_is_refused_by_name(database, clock, code):
    define_tiers(database, [TierDefinition("basic", "Basic", 0)], TierPolicy(), now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition(code, "VIP", 100)], TierPolicy(),
                     now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [("tiers[1].code", MESSAGE)]


def test_plain_codes_of_either_case_with_dashes_and_underscores_are_taken(database, clock):
    ladder = [TierDefinition("basic", "Basic", 0), TierDefinition("GOLD", "Gold", 100),
              TierDefinition("vip-2026_elite", "VIP", 200), TierDefinition("9" * 32, "Top", 300)]
    define_tiers(database, ladder, TierPolicy(), now=clock())
    assert [t.code for t in list_tiers(database)[0]] == ["basic", "GOLD", "vip-2026_elite", "9" * 32]
