"""What a rule can look at besides the basket: the sale (store, its time zone, channel), the
member (or a hypothetical one described by facts) and what rules already gave the member in
the periods their limits count, plus the campaign budgets left."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class MemberFacts:
    """A member as rules see it; ``first_purchase`` is whether this sale is the member's first (a
    purchase refunded in full does not count)."""

    tier_code: str | None = None
    enrolled_at: datetime | None = None
    birthday: date | None = None
    first_purchase: bool = False
    segments: frozenset[str] = frozenset()
    attributes: Mapping[str, str] = field(default_factory=dict)
    member_id: str | None = None  # the public id: holdout groups hash it
    tier_multiplier: Decimal = Decimal(1)  # the earn multiplier of the member's tier


@dataclass(frozen=True)
class SaleFacts:
    """Where and how the sale happened; ``local`` is the sale time in the store's time zone."""

    store_code: str
    store_group: str | None
    timezone: str
    channel: str | None = None

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Usage:
    """Points each rule key already gave this member in the sale's store-local day, ISO week and
    month, the budget each campaign has left (a campaign not listed has no budget cap), the
    campaigns open to the member at the sale (running, in its target segment, not held out) and
    what the member may still get from each campaign with a member cap."""

    day: Mapping[str, int] = field(default_factory=dict)
    week: Mapping[str, int] = field(default_factory=dict)
    month: Mapping[str, int] = field(default_factory=dict)
    campaign_left: Mapping[str, int] = field(default_factory=dict)
    campaigns_open: frozenset[str] | None = None  # campaigns this member may get now; None: every one
    campaign_member_left: Mapping[str, int] = field(default_factory=dict)  # of campaigns with a member cap
