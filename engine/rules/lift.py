"""Campaign lift: the members a campaign was for, against its holdout (control) group.

Guarantees:
- the split is the one accruals applied: a member is in the control group exactly when
  :func:`engine.rules.campaigns.held_out` says so (a stable hash of campaign and member);
- the members compared are those enrolled before the campaign's window ends and in its
  target segment (judged now: an uploaded list by its rows, a predicate by each member's
  current tier and attributes), whether or not they bought;
- the window is the campaign's, from its start to its end or ``as_of``, whichever is first;
  a sale counts by its sale time, as the campaign's rules count it;
- purchases are the receipts members earned on (sales where they showed their card), less
  what was refunded of them by ``as_of``, as :mod:`engine.ledger.purchases` counts them (a
  basket brought back in full is no purchase);
- nothing is written: a pure function of the database and ``as_of``.

The per-member figures and the segment are worked out in SQL; only the split into the two
groups walks the members in Python, because the hash that decides it is not one every
database has.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from engine.database import Database
from engine.errors import not_found
from engine.ledger.purchases import purchases_as_of
from engine.orm.members import MemberRow
from engine.orm.rules import CampaignRow, SegmentRow
from engine.rules.campaigns import held_out
from engine.rules.segments import segment_member_ids

Z_95 = 1.959964  # the normal distribution's two-sided 95 % quantile


@dataclass(frozen=True)
class GroupFigures:
    """What one group of members did in the window."""

    members: int
    buyers: int  # members with at least one purchase
    purchases: int
    spend_minor: int

    @property
    def buyer_share(self) -> Decimal | None:
        return None if not self.members else _ratio(self.buyers / self.members)

    @property
    def spend_per_member_minor(self) -> Decimal | None:
        return None if not self.members else _ratio(self.spend_minor / self.members, places=2)


@dataclass(frozen=True)
class CampaignLift:
    """The campaign's targeted members and its control group side by side, with the lift."""

    code: str
    window_start: datetime
    window_end: datetime
    holdout_share: Decimal
    targeted: GroupFigures
    control: GroupFigures
    spend_lift: Decimal | None  # targeted spend per member / control's - 1 (None: nothing to compare)
    buyer_share_difference: Decimal | None  # targeted buyer share - control's
    buyer_share_difference_95: tuple[Decimal, Decimal] | None  # its 95 % confidence interval


def campaign_lift(db: Database, code: str, *, as_of: datetime) -> CampaignLift:
    """The campaign's targeted members against its control group, over its window so far."""
    with db.transaction() as session:
        campaign = session.scalar(sa.select(CampaignRow).where(CampaignRow.code == code))
        if campaign is None:
            raise not_found("campaign", code)
        start, end = campaign.starts_at, min(campaign.ends_at, max(as_of, campaign.starts_at))
        p = purchases_as_of(as_of)
        # the campaign's end is not in it (as for its rules); as_of, when it comes first, is
        bought = (sa.select(p.c.member_id, sa.func.count().label("purchases"), sa.func.sum(p.c.spend).label("spend"))
                  .where(p.c.occurred_at >= start, p.c.occurred_at < campaign.ends_at)
                  .group_by(p.c.member_id).subquery())
        query = (sa.select(MemberRow.public_id, sa.func.coalesce(bought.c.purchases, 0),
                           sa.func.coalesce(bought.c.spend, 0))
                 .outerjoin(bought, bought.c.member_id == MemberRow.id)
                 .where(MemberRow.enrolled_at < campaign.ends_at, MemberRow.enrolled_at <= as_of))
        if campaign.segment_code is not None:
            segment = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == campaign.segment_code))
            query = query.where(MemberRow.id.in_(segment_member_ids(segment)) if segment is not None else sa.false())
        share = Decimal(campaign.holdout_share)
        groups = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}  # held out -> members, buyers, purchases, spend
        for public_id, purchases, spend in session.execute(query):
            figures = groups[held_out(code, public_id, share)]
            figures[0] += 1
            figures[1] += 1 if purchases else 0
            figures[2] += int(purchases)
            figures[3] += int(spend)
    targeted, control = GroupFigures(*groups[False]), GroupFigures(*groups[True])
    return CampaignLift(code, start, end, share, targeted, control, _spend_lift(targeted, control),
                        *_share_difference(targeted, control))


def _spend_lift(targeted: GroupFigures, control: GroupFigures) -> Decimal | None:
    if not targeted.members or not control.members or not control.spend_minor:
        return None
    return _ratio((targeted.spend_minor / targeted.members) / (control.spend_minor / control.members) - 1)


def _share_difference(targeted: GroupFigures, control: GroupFigures):
    """The difference in buyer share with its Wald 95 % interval (None without both groups)."""
    if not targeted.members or not control.members:
        return None, None
    p1, p2 = targeted.buyers / targeted.members, control.buyers / control.members
    margin = Z_95 * math.sqrt(p1 * (1 - p1) / targeted.members + p2 * (1 - p2) / control.members)
    return _ratio(p1 - p2), (_ratio(p1 - p2 - margin), _ratio(p1 - p2 + margin))


def _ratio(value: float, places: int = 4) -> Decimal:
    return Decimal(repr(round(value, places))).quantize(Decimal(1).scaleb(-places))
