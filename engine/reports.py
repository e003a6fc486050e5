"""Programme reports for the marketer's dashboard and the auditor's fraud checks, read from
the ledger itself.

Guarantees: every figure is computed by set-based SQL over the immutable ledger rows (no
Python loop over members or transactions) and is a pure function of the database and
``as_of``: nothing is cached or written. Days and months are the programme's (in its time
zone), except the fraud check's, which are each till's own (its store's time zone).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from engine.database import Database, is_postgres, local_day
from engine.ledger.closed_months import closed_months, month_key, moved_by_period
from engine.orm.ledger import SYSTEM_ACCOUNTS, HoldRow, LotRow, ReceiptRow, RefundRow
from engine.orm.members import MemberRow
from engine.orm.rewards import RewardRow, VoucherRow
from engine.orm.rules import MemberAttributeRow, ReceiptRuleAwardRow
from engine.programme import start_of_day
from engine.rules.customer_value import STAGES
from engine.settings import read_settings
from engine.orm.stores import StoreRow, TerminalRow
from engine.rules.campaigns import Campaign, list_campaigns
from engine.snapshot import programme

NO_TIER = "none"


@dataclass(frozen=True)
class DailyFlow:
    """Points that moved on one day, read from the system accounts as the liability statement
    reads a month (so the days of a month add up to its row): issued by purchases (less what
    refunds took back), redeemed (paid with points and rewards, less what refunds and
    cancelled vouchers gave back), expired, and adjusted (bonuses, grants, corrections, points
    brought over; negative when more was taken than given)."""

    day: date
    issued: int
    redeemed: int
    expired: int
    adjusted: int = 0


@dataclass(frozen=True)
class Liability:
    """Points the programme owes its members at an instant: spendable now and still pending."""

    available: int
    pending: int

    @property
    def total(self) -> int:
        return self.available + self.pending


@dataclass(frozen=True)
class StoreActivity:
    """One store's earning sales in a window: how many, what they took (before returns) and
    the points they earned."""

    store_code: str
    sales: int
    takings_minor: int
    points: int


@dataclass(frozen=True)
class RewardRedeemed:
    """One reward's vouchers issued in a window (cancelled ones left out) and their points."""

    reward_code: str
    vouchers: int
    points: int


@dataclass(frozen=True)
class Dashboard:
    as_of: datetime
    flows: list[DailyFlow]
    liability: Liability
    tiers: list[tuple[str, int]]
    lifecycle: list[tuple[str, int]]
    top_rules: list[tuple[str, int]]
    campaigns: list[Campaign]
    stores: list[StoreActivity]
    rewards: list[RewardRedeemed]

    @property
    def breakage(self) -> float | None:
        """Points expired per point issued in the window (None when none were issued): the
        share of the promise that members let lapse, which finance books as breakage."""
        issued = sum(f.issued for f in self.flows)
        return sum(f.expired for f in self.flows) / issued if issued else None


def daily_flows(db: Database, *, as_of: datetime, days: int = 30) -> list[DailyFlow]:
    """One entry per programme day of the ``days`` days ending with ``as_of``'s day (days
    without movement included, as zeros), oldest first."""
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        moved = moved_by_period(session, zone.key, since=start_of_day(first, zone), until=as_of, inclusive=True,
                                daily=True)

    def flow(day: date) -> DailyFlow:
        key = day.isoformat()
        return DailyFlow(day, issued=-moved.get((key, "issuance"), 0), redeemed=moved.get((key, "redemption"), 0),
                         expired=moved.get((key, "expiry"), 0), adjusted=-moved.get((key, "adjustment"), 0))
    return [flow(first + timedelta(days=n)) for n in range(days)]


def liability(db: Database, *, as_of: datetime) -> Liability:
    """Points left in lots at ``as_of``: available (spendable since ``available_at``) and
    pending (not yet); expired lots are zeroed by the expiry job and count no more."""
    with db.transaction() as session:
        available, pending = session.execute(sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((LotRow.available_at <= as_of, LotRow.remaining), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((LotRow.available_at > as_of, LotRow.remaining), else_=0)), 0),
        ).where(LotRow.remaining > 0)).one()
    return Liability(int(available), int(pending))


@dataclass(frozen=True)
class MonthStatement:
    """The points owed to members through one calendar month of the programme's time zone, by
    where they came from and went, read from the system accounts' side of every posting (by
    its posting time):
    ``closing = opening + issued - redeemed - expired + adjusted``."""

    month: str  # "2026-11"
    opening: int
    issued: int  # earned at tills, less what refunds took back
    redeemed: int  # spent at tills and on rewards, less what refunds and cancelled vouchers gave back
    expired: int
    adjusted: int  # bonuses, grants, opening balances and corrections, less forfeits (net)
    closing: int
    closing_value_minor: int  # what ``closing`` is worth at the programme's redemption rate (rounded down)
    closed: bool = False  # summed for good by the nightly close (engine.ledger.closed_months): final


def liability_statement(db: Database, *, as_of: datetime, months: int = 12) -> list[MonthStatement]:
    """The last ``months`` calendar months (of the programme's time zone) up to ``as_of`` (its
    own month so far), oldest first, months without postings included: for finance, the points
    owed month by month."""
    with db.transaction() as session:
        settings = read_settings(session)
        zone = ZoneInfo(settings.timezone)
        local = as_of.astimezone(zone)
        starts = [date(local.year, local.month, 1)]
        for _ in range(months - 1):
            starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
        # the months closed for good from their rows, the rest (all of them while none is
        # closed) from the entries: the statement reads the ledger of the last month or so
        closed = closed_months(session, settings.timezone, ending_by=as_of)
        moved = {(row.month, kind): getattr(row, kind) for row in closed for kind in SYSTEM_ACCOUNTS}
        moved.update(moved_by_period(session, settings.timezone, since=closed[-1].ends_at if closed else None,
                                     until=as_of, inclusive=True))
    final = {row.month for row in closed}
    first = month_key(starts[0])
    before = sum(total for (month, _), total in moved.items() if month < first)
    statements, owed = [], -before
    for start in starts:
        key = month_key(start)
        issued, redeemed = -moved.get((key, "issuance"), 0), moved.get((key, "redemption"), 0)
        expired, adjusted = moved.get((key, "expiry"), 0), -moved.get((key, "adjustment"), 0)
        closing = owed + issued - redeemed - expired + adjusted
        statements.append(MonthStatement(key, owed, issued, redeemed, expired, adjusted, closing,
                                         closing * settings.redeem_value_minor // settings.redeem_points,
                                         closed=key in final))
        owed = closing
    return statements


@dataclass(frozen=True)
class VouchersOutstanding:
    """Reward vouchers issued and neither used nor cancelled: those still usable (rewards the
    programme owes) and those whose end has passed unused (their points were spent and the
    reward is no longer owed), each with the points paid for them."""

    usable: int
    usable_points: int
    expired: int
    expired_points: int


def vouchers_outstanding(db: Database, *, as_of: datetime) -> VouchersOutstanding:
    """The vouchers issued by ``as_of`` and neither used nor cancelled (by their status now),
    split by whether their end has passed at ``as_of``."""
    v = VoucherRow
    ended = sa.case((sa.and_(v.expires_at.is_not(None), v.expires_at <= as_of), 1), else_=0)
    with db.transaction() as session:
        count, points, expired, expired_points = (int(figure or 0) for figure in session.execute(
            sa.select(sa.func.count(), sa.func.sum(v.points), sa.func.sum(ended), sa.func.sum(ended * v.points))
            .where(v.status == "issued", v.issued_at <= as_of)).one())
    return VouchersOutstanding(count - expired, points - expired_points, expired, expired_points)


def tier_distribution(db: Database) -> list[tuple[str, int]]:
    """How many members (closed accounts aside) hold each tier, largest first; a member not
    placed yet is in the lowest tier (``none`` before tiers were defined)."""
    with db.transaction() as session:
        tier = sa.func.coalesce(MemberRow.tier_code, programme(session).tier_held(None) or NO_TIER)
        rows = session.execute(sa.select(tier, sa.func.count()).where(MemberRow.status != "closed")
                               .group_by(tier).order_by(sa.func.count().desc(), tier))
        return [(code, int(count)) for code, count in rows]


def lifecycle_distribution(db: Database) -> list[tuple[str, int]]:
    """How many members are in each lifecycle stage, every stage in the documented order
    (zero included), as the last run of the nightly ``customer_value`` job left them."""
    with db.transaction() as session:
        a = MemberAttributeRow
        counts = dict(session.execute(sa.select(a.value, sa.func.count()).where(a.name == "lifecycle_stage")
                                      .group_by(a.value)).all())
    return [(stage, int(counts.get(stage, 0))) for stage in STAGES]


def top_rules(db: Database, *, as_of: datetime, days: int = 30, limit: int = 10) -> list[tuple[str, int]]:
    """The rules that gave the most points on sales of the last ``days`` store-local days
    (the base rate is the rule ``base``), most first."""
    since = as_of.date() - timedelta(days=days - 1)
    a = ReceiptRuleAwardRow
    with db.transaction() as session:
        total = sa.func.sum(a.applied)
        rows = session.execute(sa.select(a.rule_key, total).where(a.local_date >= since, a.local_date <= as_of.date())
                               .group_by(a.rule_key).having(total > 0).order_by(total.desc(), a.rule_key)
                               .limit(limit))
        return [(key, int(points)) for key, points in rows]


@dataclass(frozen=True)
class FrequentEarner:
    """A member who earned on many sales at one till on one day."""

    member_id: str
    store_code: str
    terminal_code: str
    day: date
    sales: int
    points: int


def frequent_earners(db: Database, *, as_of: datetime, days: int = 7, min_sales: int = 10,
                     limit: int = 100) -> list[FrequentEarner]:
    """Each (member, till, day) with at least ``min_sales`` earning sales on the ``days`` days
    ending with ``as_of``'s day, most sales first (then most points): the trace of a cashier
    putting customers' purchases on their own card, or of one card shared at a till. A day is
    the till's (its store's time zone), the window's days the programme's. Counts receipts as
    they earned (refunds do not take a sale away); at most ``limit``."""
    r = ReceiptRow
    with db.transaction() as session:
        zone, first, last = _window(session, as_of, days)
        day = local_day(session, r.occurred_at, StoreRow.timezone)
        sales, points = sa.func.count(), sa.func.sum(r.points)
        rows = session.execute(
            sa.select(MemberRow.public_id, StoreRow.code, TerminalRow.code, day, sales, points)
            .join(MemberRow, MemberRow.id == r.member_id).join(TerminalRow, TerminalRow.id == r.terminal_id)
            .join(StoreRow, StoreRow.id == r.store_id)
            # a store's day may begin up to a day before or after the programme's (zones are
            # at most 26 hours apart): a coarse bound for the index, the days for the answer
            .where(r.occurred_at >= start_of_day(first - timedelta(days=1), zone), r.occurred_at <= as_of,
                   day >= _day_value(session, first), day <= _day_value(session, last))
            .group_by(MemberRow.public_id, StoreRow.code, TerminalRow.code, day).having(sales >= min_sales)
            .order_by(sales.desc(), points.desc(), MemberRow.public_id, day).limit(limit))
        return [FrequentEarner(member, store, terminal, _as_date(d), int(n), int(p or 0))
                for member, store, terminal, d, n, p in rows]


CASHIER_ATTRIBUTE = "cashier"  # a member who works at the tills: their operator id, under this attribute


@dataclass(frozen=True)
class CashierCard:
    """A member earning on a cashier's sales: ``sales`` of the cashier's ``cashier_sales``
    earning sales in the store went to this member's card. ``own_card``: the member is the
    cashier (their ``cashier`` attribute names this operator id)."""

    store_code: str
    cashier: str
    member_id: str
    sales: int
    points: int
    cashier_sales: int
    own_card: bool


def cashier_cards(db: Database, *, as_of: datetime, days: int = 7, min_sales: int = 10,
                  limit: int = 100) -> list[CashierCard]:
    """Each (store, cashier, member) where the member earned on at least ``min_sales`` of the
    cashier's sales in the ``days`` programme days ending with ``as_of``'s day, and each where
    the member is the cashier, whatever the count: the trace of a cashier putting customers'
    purchases on their own card or a friend's, across tills and days. The cashier's own card
    first, then most sales (then most points); at most ``limit``. Counts receipts as they
    earned; sales that name no cashier are not counted."""
    r, own = ReceiptRow, MemberAttributeRow
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        in_window = (r.cashier.is_not(None), r.occurred_at >= start_of_day(first, zone), r.occurred_at <= as_of)
        totals = (sa.select(r.store_id, r.cashier, sa.func.count().label("sales")).where(*in_window)
                  .group_by(r.store_id, r.cashier).subquery())
        sales, points = sa.func.count(), sa.func.sum(r.points)
        owned = sa.func.count(own.member_id) > 0  # the attribute joins every sale of the group or none
        rows = session.execute(
            sa.select(StoreRow.code, r.cashier, MemberRow.public_id, sales, points, totals.c.sales, owned)
            .select_from(r).join(StoreRow, StoreRow.id == r.store_id).join(MemberRow, MemberRow.id == r.member_id)
            .join(totals, sa.and_(totals.c.store_id == r.store_id, totals.c.cashier == r.cashier))
            .outerjoin(own, sa.and_(own.member_id == r.member_id, own.name == CASHIER_ATTRIBUTE,
                                    own.value == r.cashier))
            .where(*in_window)
            .group_by(StoreRow.code, r.cashier, MemberRow.public_id, totals.c.sales)
            .having(sa.or_(sales >= min_sales, owned))
            .order_by(sa.case((owned, 0), else_=1), sales.desc(), points.desc(), StoreRow.code, r.cashier,
                      MemberRow.public_id)
            .limit(limit))
        return [CashierCard(store, cashier, member, int(n), int(p or 0), int(total), bool(mine))
                for store, cashier, member, n, p, total, mine in rows]


@dataclass(frozen=True)
class CashierRefunds:
    """The returns one cashier rang up in a store: ``refunds`` of them, for ``amount_minor`` of
    goods, taking back ``points_reversed`` points; ``sales``: the cashier's earning sales in
    the store in the same days, ``own_sales_refunded``: returns of sales the cashier rang up."""

    store_code: str
    cashier: str
    refunds: int
    amount_minor: int
    points_reversed: int
    sales: int
    own_sales_refunded: int


def cashier_refunds(db: Database, *, as_of: datetime, days: int = 7, limit: int = 100) -> list[CashierRefunds]:
    """Each (store, cashier) with returns rung up in the ``days`` programme days ending with
    ``as_of``'s day (by the return's time), most returns first (then the largest amount): the
    trace of a cashier refunding to themselves or to a friend's card, next to their sales as a
    measure. Returns that name no cashier are not counted; at most ``limit``."""
    f, r = RefundRow, ReceiptRow
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        since = start_of_day(first, zone)
        sales = _cashier_sales(since, as_of)
        refunds, amount = sa.func.count(), sa.func.sum(f.amount_minor)
        rows = session.execute(
            sa.select(StoreRow.code, f.cashier, refunds, amount, sa.func.sum(f.points_reversed),
                      sa.func.coalesce(sa.func.max(sales.c.sales), 0),
                      sa.func.sum(sa.case((r.cashier == f.cashier, 1), else_=0)))
            .select_from(f).join(r, r.id == f.receipt_id).join(StoreRow, StoreRow.id == r.store_id)
            .outerjoin(sales, sa.and_(sales.c.store_id == r.store_id, sales.c.cashier == f.cashier))
            .where(f.cashier.is_not(None), f.occurred_at >= since, f.occurred_at <= as_of)
            .group_by(StoreRow.code, f.cashier)
            .order_by(refunds.desc(), amount.desc(), StoreRow.code, f.cashier).limit(limit))
        return [CashierRefunds(store, cashier, int(n), int(a or 0), int(p or 0), int(s), int(own or 0))
                for store, cashier, n, a, p, s, own in rows]


@dataclass(frozen=True)
class CashierPayments:
    """The payments with points one cashier took in a store: ``payments`` of them (holds
    captured), spending ``points``; ``own_card``: how many were with the cashier's own card
    (their ``cashier`` attribute names this operator id); ``sales``: the cashier's earning
    sales in the store in the same days."""

    store_code: str
    cashier: str
    payments: int
    points: int
    own_card: int
    sales: int


def cashier_payments(db: Database, *, as_of: datetime, days: int = 7, limit: int = 100) -> list[CashierPayments]:
    """Each (store, cashier) who took payments with points in the ``days`` programme days
    ending with ``as_of``'s day (holds captured, by the capture's time): those with payments
    on the cashier's own card first, then most points: the trace of a cashier spending, with
    their own card, points earned on customers' purchases. Holds that name no cashier are not
    counted; at most ``limit``."""
    h, own = HoldRow, MemberAttributeRow
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        since = start_of_day(first, zone)
        sales = _cashier_sales(since, as_of)
        points = sa.func.sum(h.captured_points)
        # a member has one value per attribute: at most one row joins each hold
        on_own_card = sa.func.count(own.member_id)
        rows = session.execute(
            sa.select(StoreRow.code, h.cashier, sa.func.count(), points, on_own_card,
                      sa.func.coalesce(sa.func.max(sales.c.sales), 0))
            .select_from(h).join(StoreRow, StoreRow.id == h.store_id)
            .outerjoin(own, sa.and_(own.member_id == h.member_id, own.name == CASHIER_ATTRIBUTE,
                                    own.value == h.cashier))
            .outerjoin(sales, sa.and_(sales.c.store_id == h.store_id, sales.c.cashier == h.cashier))
            .where(h.cashier.is_not(None), h.status == "captured", h.resolved_at >= since, h.resolved_at <= as_of)
            .group_by(StoreRow.code, h.cashier)
            .order_by(on_own_card.desc(), points.desc(), StoreRow.code, h.cashier).limit(limit))
        return [CashierPayments(store, cashier, int(n), int(p or 0), int(mine), int(s))
                for store, cashier, n, p, mine, s in rows]


def _cashier_sales(since: datetime, as_of: datetime) -> sa.Subquery:
    """Each (store, cashier)'s earning sales from ``since`` to ``as_of``: the measure the
    cashier checks set beside what a cashier did."""
    r = ReceiptRow
    return (sa.select(r.store_id, r.cashier, sa.func.count().label("sales"))
            .where(r.cashier.is_not(None), r.occurred_at >= since, r.occurred_at <= as_of)
            .group_by(r.store_id, r.cashier).subquery())


def store_activity(db: Database, *, as_of: datetime, days: int = 30) -> list[StoreActivity]:
    """Each store's earning sales of the last ``days`` programme days to ``as_of`` (by sale
    time), most points first; stores without one are left out."""
    r = ReceiptRow
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        since = start_of_day(first, zone)
        points = sa.func.sum(r.points)
        rows = session.execute(
            sa.select(StoreRow.code, sa.func.count(), sa.func.sum(r.total_minor), points)
            .join(StoreRow, StoreRow.id == r.store_id).where(r.occurred_at >= since, r.occurred_at <= as_of)
            .group_by(StoreRow.code).order_by(points.desc(), StoreRow.code))
        return [StoreActivity(code, int(n), int(total or 0), int(p or 0)) for code, n, total, p in rows]


def rewards_redeemed(db: Database, *, as_of: datetime, days: int = 30) -> list[RewardRedeemed]:
    """The rewards members bought in the last ``days`` programme days to ``as_of`` (vouchers
    issued and not cancelled), most vouchers first."""
    v = VoucherRow
    with db.transaction() as session:
        zone, first, _ = _window(session, as_of, days)
        since = start_of_day(first, zone)
        count = sa.func.count()
        rows = session.execute(
            sa.select(RewardRow.code, count, sa.func.sum(v.points)).join(RewardRow, RewardRow.id == v.reward_id)
            .where(v.issued_at >= since, v.issued_at <= as_of, v.status != "cancelled")
            .group_by(RewardRow.code).order_by(count.desc(), RewardRow.code))
        return [RewardRedeemed(code, int(n), int(p or 0)) for code, n, p in rows]


def _window(session, as_of: datetime, days: int) -> tuple[ZoneInfo, date, date]:
    """The programme's zone, and the first and last of the ``days`` programme days that end
    with ``as_of``'s day."""
    zone = ZoneInfo(read_settings(session).timezone)
    last = as_of.astimezone(zone).date()
    return zone, last - timedelta(days=days - 1), last


def dashboard(db: Database, *, as_of: datetime, days: int = 30) -> Dashboard:
    """Everything the dashboard shows, as of one instant."""
    return Dashboard(as_of=as_of, flows=daily_flows(db, as_of=as_of, days=days), liability=liability(db, as_of=as_of),
                     tiers=tier_distribution(db), lifecycle=lifecycle_distribution(db),
                     top_rules=top_rules(db, as_of=as_of, days=days), campaigns=list_campaigns(db),
                     stores=store_activity(db, as_of=as_of, days=days),
                     rewards=rewards_redeemed(db, as_of=as_of, days=days))


def _day_value(session, day: date):
    """``day`` as ``local_day`` gives days: a date on PostgreSQL, ISO text on SQLite."""
    return day if is_postgres(session) else day.isoformat()


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
