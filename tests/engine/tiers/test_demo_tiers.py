from datetime import UTC, datetime

import sqlalchemy as sa

from engine.demo import DEMO_TIERS, load_demo
from engine.orm.members import MemberRow
from engine.tiers.service import list_tiers


def test_the_demo_defines_four_tiers_and_every_member_holds_one(sqlite_db):
    load_demo(sqlite_db, now=datetime(2026, 11, 23, 12, tzinfo=UTC))
    tiers, policy = list_tiers(sqlite_db)
    assert [t.code for t in tiers] == ["BASIC", "SILVER", "GOLD", "PLATINUM"] == [t.code for t in DEMO_TIERS]
    assert policy.grace_months == 3
    with sqlite_db.transaction() as session:
        codes = list(session.scalars(sa.select(MemberRow.tier_code)))
    assert codes and all(code in {t.code for t in tiers} for code in codes)
