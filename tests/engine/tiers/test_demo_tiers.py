from datetime import UTC, datetime

import sqlalchemy as sa

from engine.demo import DEMO_TIERS, load_demo
from engine.orm.members import MemberRow
from engine.rewards import list_rewards
from engine.tiers.service import list_tiers


def test_the_demo_defines_four_tiers_and_every_member_holds_one(sqlite_db):
    load_demo(sqlite_db, now=datetime(2026, 11, 23, 12, tzinfo=UTC))
    tiers, policy = list_tiers(sqlite_db)
    assert [t.code for t in tiers] == ["BASIC", "SILVER", "GOLD", "PLATINUM"] == [t.code for t in DEMO_TIERS]
    assert policy.grace_months == 3
    with sqlite_db.transaction() as session:
        codes = list(session.scalars(sa.select(MemberRow.tier_code)))
    assert codes and all(code in {t.code for t in tiers} for code in codes)


def test_the_demo_has_a_small_rewards_catalogue_with_tier_prices(sqlite_db):
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    load_demo(sqlite_db, now=now)
    rewards = list_rewards(sqlite_db, as_of=now)
    assert [r.code for r in rewards] == ["CINEMA", "COFFEE", "TOTE"]
    assert rewards[1].tier_prices == {"GOLD": 100, "PLATINUM": 75}
