"""An accrual checks for an upgrade against the member row it read with the card; that row
may predate a tier change committed while it waited for the account lock. The tier state,
read when an upgrade looks due, decides."""
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from engine.ledger.accounts import lock_member_account
from engine.orm.members import MemberRow
from engine.tiers.service import assign_tier, member_tier, tier_history, upgrade_on_accrual


def test_a_stale_lower_tier_on_the_member_row_does_not_move_the_member_back(database, clock, make_member, earn,
                                                                             tiers):
    tiers()
    member = make_member()
    earn(member, 55000)  # 550 points: Silver at once
    assign_tier(database, member.public_id, "GOLD", reason="VIP", actor="support", now=clock())
    history = tier_history(database, member.public_id)
    with database.transaction() as session:
        row = session.scalar(sa.select(MemberRow).where(MemberRow.public_id == member.public_id))
        lock_member_account(session, row.id)
        set_committed_value(row, "tier_code", "BASIC")  # as read before the change to Gold
        upgrade_on_accrual(session, row, clock())
    assert member_tier(database, member.public_id).tier_code == "GOLD"
    assert tier_history(database, member.public_id) == history

