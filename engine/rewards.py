"""The rewards catalogue: redeeming points for a voucher, using it once, cancelling it.

Guarantees:
- a redemption moves points and stock together or not at all: in one transaction it
  locks the member's account, then the reward's row, checks validity, stock, the
  member's limit and the points (at the member's tier price), reserves the points with
  a hold (phase one) and captures it (phase two) as the stock goes down and the voucher
  is issued; any refusal leaves everything as it was. Two members racing for the last
  item: the reward's row lock lets one through, the other is refused ``out_of_stock``;
- a redemption naming the price the member was shown (``expected_points``) is refused
  ``price_changed``, nothing changed, when the reward costs them anything else now;
- redemption and cancellation are idempotent by key (``run_idempotent``);
- a voucher is used once, and not from its ``expires_at`` on (through the reward's
  ``voucher_valid_days``-th day after its issue, programme time; fixed at issue: changing
  the reward later changes only later vouchers); a cancelled voucher returns its points
  (a new lot, available at once, expiring by the programme's policy) and its stock, and
  cannot be used; past its end a voucher is cancelled only ``after_its_end`` (support's
  goodwill: a member cannot take back the points of a voucher they let expire); a voucher
  of a closed account can still be used, but not cancelled (no account to refund);
- a suspended member (``engine.member_suspension``) can neither redeem nor have a voucher
  used at a till (``member_not_active``) until reinstated;
- voucher codes are random (80 bits), unique by constraint.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import instants
from engine.database import Database, insert_unique
from engine.access.member_logins import confirm_member_password
from engine.access.passwords import Passwords
from engine.errors import Conflict, InsufficientPoints, InvalidState, PasswordRequired, Problem, not_found, refuse_if
from engine.ledger.accounts import lock_member_account, post_transaction
from engine.ledger.holds import capture_reserved, reserve_points
from engine.ledger.idempotency import run_idempotent
from engine.ledger.lots import give_back, holdings, spent_by_holds
from engine.members import member_row, refuse_unless_active
from engine.orm.ledger import HoldRow
from engine.orm.members import MemberRow
from engine.orm.rewards import RewardRow, RewardTierPriceRow, VoucherRow
from engine.orm.tiers import TierRow
from engine.programme import ProgrammeSettings, end_of_day, last_day_before
from engine.settings import read_settings
from engine.snapshot import programme
from engine.webhooks import record_credit, record_event


class OutOfStock(InvalidState):
    code = "out_of_stock"


class RedemptionLimitReached(InvalidState):
    code = "redemption_limit_reached"


class RewardNotAvailable(InvalidState):
    code = "reward_not_available"


class PriceChanged(InvalidState):
    code = "price_changed"


class VoucherNotUsable(InvalidState):
    code = "voucher_not_usable"


class VoucherExpired(InvalidState):
    code = "voucher_expired"


MAX_VOUCHER_DAYS = 3650
# a reward's code names it in addresses (/v1/staff/rewards/{code}, the console's pages): no "/", no space
REWARD_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Reward:
    code: str
    name: str
    points_price: int
    stock: int | None
    per_member_limit: int | None
    valid_from: datetime
    valid_until: datetime | None
    tier_prices: dict[str, int]
    price_for_member: int | None = None  # with member_id: the price this member pays
    voucher_valid_days: int | None = None  # its vouchers are usable this many days; None: without end
    tier_only: bool = False  # only members of the tiers with a tier price may redeem it
    redemptions_left: int | None = None  # with member_id: what its per-member limit leaves them; None: no limit

    def left_to_redeem(self) -> bool:
        """Whether it is in stock and, read for a member, within what its limit leaves them."""
        return (self.stock is None or self.stock > 0) and self.redemptions_left != 0


@dataclass(frozen=True)
class RedeemReward:
    reward_code: str
    member_id: str
    # the price the member was shown: a price changed since is refused, not charged silently
    # (None: whatever it costs now; left at None, a retry from before this field is the same request)
    expected_points: int | None = None


@dataclass(frozen=True)
class VoucherIssued:
    voucher_code: str
    reward_code: str
    member_id: str
    points: int
    hold_id: str
    transaction_id: int
    balance: int
    expires_at: datetime | None = None  # the voucher is not usable from then on; None: never


@dataclass(frozen=True)
class CancelVoucher:
    voucher_code: str
    after_its_end: bool = False  # staff's goodwill: a voucher past its end may be cancelled too


@dataclass(frozen=True)
class UseVoucher:
    voucher_code: str


@dataclass(frozen=True)
class Voucher:
    voucher_code: str
    reward_code: str
    member_id: str
    points: int
    status: str
    issued_at: datetime
    used_at: datetime | None
    cancelled_at: datetime | None
    expires_at: datetime | None = None  # not usable from then on; None: never

    def past_its_end(self, at: datetime) -> bool:
        """Whether the voucher's end has come at ``at`` (whatever its status)."""
        return past_end(self.expires_at, at)


def past_end(expires_at: datetime | None, at: datetime) -> bool:
    """Whether a voucher ending at ``expires_at`` (None: never) is past its end at ``at``."""
    return expires_at is not None and at >= expires_at


# Prices, stock and limits: far above any real catalogue, and within what every database
# column holding them can store (stock and limits are 32-bit integers on PostgreSQL).
MAX_COUNT = 10**9


def _whole_from(value, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= MAX_COUNT


def create_reward(db: Database, *, code: str, name: str, points_price: int, valid_from: datetime,
                  valid_until: datetime | None = None, stock: int | None = None,
                  per_member_limit: int | None = None, tier_prices: dict[str, int] | None = None,
                  voucher_valid_days: int | None = None, tier_only: bool = False, now: datetime) -> Reward:
    """Add a reward to the catalogue; refuses with every problem found. A ``tier_only`` reward
    is for the members of the tiers it has a tier price for (a Gold-only reward), no one else."""
    tier_prices = tier_prices or {}
    problems = []
    if not (isinstance(code, str) and REWARD_CODE.fullmatch(code)):
        problems.append(Problem("code", "must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit"))
    problems += [Problem(field, "is required") for field, value in (("name", name), ("points_price", points_price))
                 if value is None]
    _check_terms(problems, name=name, points_price=points_price, stock=stock, per_member_limit=per_member_limit,
                 tier_prices=tier_prices, voucher_valid_days=voucher_valid_days)
    if valid_until is not None and valid_until <= valid_from:
        problems.append(Problem("valid_until", "must be after valid_from"))
    problems += _tier_price_problems(tier_only, tier_prices, points_price)
    refuse_if(problems)
    with db.transaction() as session:
        _check_tiers(session, tier_prices)
        row = RewardRow(code=code, name=name.strip(), points_price=points_price, stock=stock,
                        per_member_limit=per_member_limit, valid_from=valid_from, valid_until=valid_until,
                        voucher_valid_days=voucher_valid_days, tier_only=tier_only, created_at=now)
        insert_unique(session, row, Conflict(f"reward {code} already exists", code="reward_exists"))
        session.add_all(RewardTierPriceRow(reward_id=row.id, tier_code=t, points=p) for t, p in tier_prices.items())
        session.flush()
        return _reward(session, row)


def change_reward(db: Database, code: str, *, now: datetime, name: str | None = None,
                  points_price: int | None = None, restock: int | None = None, per_member_limit: int | None = None,
                  valid_until: datetime | None = None, tier_prices: dict[str, int] | None = None,
                  voucher_valid_days: int | None = None, tier_only: bool | None = None) -> Reward:
    """Change reward ``code`` for the redemptions from now on (vouchers already issued keep
    what they cost): its name, price, per-member limit, tier prices (when given, they replace
    all of the reward's tier prices; ``{}`` removes them), the end of its validity
    (``valid_until``, after its start; now or earlier withdraws it from the catalogue, also a
    reward that has not started yet: its start moves to that end, so it is never redeemable), and
    its stock by ``restock`` units (negative: units written off, never below zero; only a
    reward whose stock is counted), how many days its next vouchers are usable
    (``voucher_valid_days``; 0: without end), whether it is for its tiers only (``tier_only``,
    which needs tier prices). The reward's row is locked, so a restock and racing
    redemptions add up. Refuses every problem at once, and then changes nothing."""
    problems: list[Problem] = []
    if all(v is None for v in (name, points_price, restock, per_member_limit, valid_until, tier_prices,
                               voucher_valid_days, tier_only)):
        problems.append(Problem("reward", "give what to change"))
    _check_terms(problems, name=name, points_price=points_price, per_member_limit=per_member_limit,
                 tier_prices=tier_prices or {}, voucher_valid_days=voucher_valid_days, without_end=0)
    if tier_only is not None and not isinstance(tier_only, bool):
        problems.append(Problem("tier_only", "must be true or false"))
    if restock is not None and not (isinstance(restock, int) and not isinstance(restock, bool)
                                    and 0 < abs(restock) <= MAX_COUNT):
        problems.append(Problem("restock", f"must be a whole number of units from -{MAX_COUNT:,} to {MAX_COUNT:,}, "
                                           f"not 0"))
    until = None if valid_until is None else instants.in_utc(valid_until)
    if valid_until is not None and until is None:
        problems.append(Problem("valid_until", f"must be an instant with a time zone, {instants.RANGE_TEXT}"))
    refuse_if(problems)
    with db.transaction() as session:
        row = session.scalar(sa.select(RewardRow).where(RewardRow.code == code).with_for_update())
        if row is None:
            raise not_found("reward", code)
        never_started = until is not None and until <= now and row.valid_from > now
        if until is not None and until <= row.valid_from and not never_started:
            problems.append(Problem("valid_until", f"must be after the reward's start, "
                                                   f"{row.valid_from.isoformat()}"))
        if restock is not None:
            if row.stock is None:
                problems.append(Problem("restock", "the reward's stock is not counted (unlimited)"))
            elif not 0 <= row.stock + restock <= MAX_COUNT:
                problems.append(Problem("restock", f"would leave {row.stock + restock:,} units; there are "
                                                   f"{row.stock:,}"))
        kept_prices = tier_prices if tier_prices is not None else _tier_prices(session, row.id)
        problems += _tier_price_problems(row.tier_only if tier_only is None else tier_only, kept_prices,
                                        row.points_price if points_price is None else points_price)
        refuse_if(problems)
        if tier_only is not None:
            row.tier_only = tier_only
        if tier_prices is not None:
            _check_tiers(session, tier_prices)
            session.execute(sa.delete(RewardTierPriceRow).where(RewardTierPriceRow.reward_id == row.id))
            session.add_all(RewardTierPriceRow(reward_id=row.id, tier_code=t, points=p) for t, p in tier_prices.items())
        if name is not None:
            row.name = name.strip()
        if points_price is not None:
            row.points_price = points_price
        if per_member_limit is not None:
            row.per_member_limit = per_member_limit
        if valid_until is not None:
            row.valid_until = valid_until
            if never_started:  # withdrawn before its start: an empty window, at the withdrawal, that no list shows
                row.valid_from = until
        if voucher_valid_days is not None:
            row.voucher_valid_days = voucher_valid_days or None
        if restock is not None:
            row.stock += restock
        session.flush()
        return _reward(session, row)


def get_reward(db: Database, code: str) -> Reward:
    """Reward ``code``, valid now or not; NotFound for an unknown code."""
    with db.transaction() as session:
        row = session.scalar(sa.select(RewardRow).where(RewardRow.code == code))
        if row is None:
            raise not_found("reward", code)
        return _reward(session, row)


def list_rewards(db: Database, *, as_of: datetime, member_id: str | None = None,
                 withdrawn_too: bool = False) -> list[Reward]:
    """Rewards valid at ``as_of`` (``withdrawn_too``: also those not yet or no longer valid),
    by code; with ``member_id`` each with that member's price, without the rewards for other
    tiers only."""
    with db.transaction() as session:
        member = _member(session, member_id) if member_id else None
        query = sa.select(RewardRow).order_by(RewardRow.code)
        if not withdrawn_too:
            query = query.where(RewardRow.valid_from <= as_of,
                                sa.or_(RewardRow.valid_until.is_(None), RewardRow.valid_until > as_of))
        rewards = [_reward(session, row, member) for row in session.scalars(query)]
        if member is None:
            return rewards
        tier = programme(session).tier_held(member.tier_code)
        taken = _redeemed_by(session, member)
        return [replace(r, redemptions_left=None if r.per_member_limit is None
                        else max(0, r.per_member_limit - taken.get(r.code, 0)))
                for r in rewards if _open_to(r.tier_only, r.tier_prices, tier)]


def _redeemed_by(session: Session, member: MemberRow, reward_pk: int | None = None) -> dict[str, int]:
    """How many of each reward's vouchers (of the one reward ``reward_pk``, if given) the
    member holds or used: what its per-member limit counts (a cancelled one gives its
    redemption back)."""
    query = (sa.select(RewardRow.code, sa.func.count()).join(VoucherRow, VoucherRow.reward_id == RewardRow.id)
             .where(VoucherRow.member_id == member.id, VoucherRow.status != "cancelled").group_by(RewardRow.code))
    return dict(session.execute(query if reward_pk is None else query.where(RewardRow.id == reward_pk)).all())


def password_needed_online(price: int, settings: ProgrammeSettings) -> bool:
    """Whether a member redeeming a reward at ``price`` online needs their password too."""
    above = settings.online_redeem_password_above
    return above is not None and price > above


def redeem_reward_online(db: Database, command: RedeemReward, *, password: str | None, passwords: Passwords,
                         caller: str, idempotency_key: str, now: datetime) -> VoucherIssued:
    """``redeem_reward`` by the member themselves, online (the API or the portal): a reward
    costing them more than the programme's ``online_redeem_password_above`` points needs
    their password too, so that a stolen session cannot turn a balance into vouchers.
    Without it the refusal is ``password_required``, which leaves the idempotency key
    unspent (the retry with the password is a first try); a wrong one is refused naming the
    ``password`` field and counts toward the sign-in lockout, whatever the price."""
    confirmed = password is not None
    if confirmed:
        confirm_member_password(db, command.member_id, password, passwords=passwords, now=now)
    return redeem_reward(db, command, caller=caller, idempotency_key=idempotency_key, now=now,
                         session_only=not confirmed)


def redeem_reward(db: Database, command: RedeemReward, *, caller: str, idempotency_key: str,
                  now: datetime, session_only: bool = False) -> VoucherIssued:
    """Spend the member's points on one unit of the reward and issue a voucher. ``session_only``:
    the member's session alone asks (see ``redeem_reward_online``)."""
    def work(session: Session) -> VoucherIssued:
        member = member_row(session, command.member_id, to_change=True)
        account = lock_member_account(session, member.id)
        session.refresh(member)  # read again under the lock: a suspension may have just been committed
        refuse_unless_active(member)
        reward = session.execute(sa.select(RewardRow).where(RewardRow.code == command.reward_code)
                                 .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
        if reward is None:
            raise not_found("reward", command.reward_code)
        if reward.valid_from > now or (reward.valid_until is not None and reward.valid_until <= now):
            raise RewardNotAvailable(f"reward {reward.code} cannot be redeemed at {now.isoformat()}")
        if reward.tier_only:
            prices = _tier_prices(session, reward.id)
            if not _open_to(True, prices, programme(session).tier_held(member.tier_code)):
                raise RewardNotAvailable(f"reward {reward.code} is for members of {', '.join(sorted(prices))} only")
        if reward.stock is not None and reward.stock < 1:
            raise OutOfStock(f"reward {reward.code} is out of stock")
        if reward.per_member_limit is not None:
            taken = _redeemed_by(session, member, reward.id).get(reward.code, 0)
            if taken >= reward.per_member_limit:
                raise RedemptionLimitReached(f"member {member.public_id} has already redeemed reward "
                                             f"{reward.code} {taken} times (the limit is {reward.per_member_limit})")
        price = _price(session, reward, member)
        if command.expected_points is not None and price != command.expected_points:
            raise PriceChanged(f"reward {reward.code} now costs {price} points, not the {command.expected_points} "
                               f"points expected")
        settings = read_settings(session)
        if session_only and password_needed_online(price, settings):
            raise PasswordRequired(f"reward {reward.code} costs {price} points: more than "
                                   f"{settings.online_redeem_password_above} points online need the member's password")
        available = holdings(session, account, now).available
        if price > available:
            raise InsufficientPoints(f"member {member.public_id} has {available} points available; "
                                     f"reward {reward.code} costs {price}")
        hold = reserve_points(session, member.id, price, now=now, deadline=now)  # phase one
        transaction = capture_reserved(session, hold, account, price, now=now,  # phase two
                                       description=f"reward {reward.code}")
        if reward.stock is not None:
            reward.stock -= 1
        expires_at = voucher_expires_at(now, reward.voucher_valid_days, settings.timezone)
        voucher = VoucherRow(code=_new_voucher_code(), reward_id=reward.id, member_id=member.id, points=price,
                             hold_id=hold.id, status="issued", issued_at=now, expires_at=expires_at)
        session.add(voucher)
        session.flush()
        # the voucher's code is a bearer secret: not sent
        record_event(session, "reward.redeemed", dict(
            member_id=member.public_id, reward=reward.code, points=price, voucher_expires_at=expires_at,
            transaction_id=transaction.id), now=now)
        return VoucherIssued(voucher_code=voucher.code, reward_code=reward.code, member_id=member.public_id,
                             points=price, hold_id=hold.public_id, transaction_id=transaction.id,
                             balance=account.balance, expires_at=expires_at)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="redeem_reward", request=command,
                          now=now, work=work, result_type=VoucherIssued)


def use_voucher(db: Database, command: UseVoucher, *, caller: str, idempotency_key: str, now: datetime) -> Voucher:
    """Mark an issued voucher used (once: a retry with the same key gets the same answer; a
    voucher already used or cancelled, or expired, is refused)."""
    def work(session: Session) -> Voucher:
        voucher = _voucher(session, command.voucher_code, lock=True)
        if voucher.status != "issued":
            raise VoucherNotUsable(f"voucher {voucher.code} was already {voucher.status}")
        if past_end(voucher.expires_at, now):
            raise _expired(session, voucher)
        owner = session.get(MemberRow, voucher.member_id)
        if owner.status == "suspended":  # a closed member's voucher stays usable: its points are spent
            refuse_unless_active(owner)
        voucher.status, voucher.used_at = "used", now
        session.flush()
        used = _voucher_plain(session, voucher)
        record_event(session, "reward.used", dict(member_id=used.member_id, reward=used.reward_code,
                                                  points=used.points, used_at=now), now=now)
        return used

    return run_idempotent(db, caller=caller, key=idempotency_key, command="use_voucher", request=command,
                          now=now, work=work, result_type=Voucher)


def cancel_voucher(db: Database, command: CancelVoucher, *, caller: str, idempotency_key: str,
                   now: datetime) -> Voucher:
    """Cancel an unused voucher: its points come back (with the expiry they had) and so does its stock."""
    def work(session: Session) -> Voucher:
        voucher = _voucher(session, command.voucher_code, lock=False)
        account = lock_member_account(session, voucher.member_id)
        session.refresh(voucher)
        if voucher.status != "issued":
            raise VoucherNotUsable(f"voucher {voucher.code} was already {voucher.status}")
        if past_end(voucher.expires_at, now) and not command.after_its_end:
            raise _expired(session, voucher)
        if session.get(MemberRow, voucher.member_id).status == "closed":  # no account to give the points back to
            raise InvalidState(f"voucher {voucher.code} belongs to a closed account; it can still be used",
                               code="member_closed")
        reward = session.execute(sa.select(RewardRow).where(RewardRow.id == voucher.reward_id)
                                 .with_for_update().execution_options(populate_existing=True)).scalar_one()
        transaction = post_transaction(
            session, kind="adjust", account=account, member_points=voucher.points,
            system={"redemption": -voucher.points}, occurred_at=now, now=now,
            description=f"voucher {voucher.code} cancelled", actor=caller)
        # (the points keep the expiry they had: a voucher bought and cancelled keeps none alive longer)
        give_back(session, account, transaction, spent_by_holds(session, HoldRow.id == voucher.hold_id),
                  voucher.points, now=now)
        if reward.stock is not None:
            reward.stock += 1
        voucher.status, voucher.cancelled_at, voucher.return_transaction_id = "cancelled", now, transaction.id
        record_credit(session, member_id=session.get(MemberRow, voucher.member_id).public_id, points=voucher.points,
                      reason="voucher_cancelled", transaction_id=transaction.id, at=now, now=now)
        session.flush()
        return _voucher_plain(session, voucher)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="cancel_voucher", request=command,
                          now=now, work=work, result_type=Voucher)


def list_vouchers(db: Database, member_id: str, *, limit: int = 50, offset: int = 0) -> list[Voucher]:
    """The member's vouchers, newest first (used and cancelled ones included), one page at a
    time: ``limit`` of them after the first ``offset``; paging on reaches every voucher."""
    with db.transaction() as session:
        member = _member(session, member_id)
        return _vouchers(session, member, sa.select(VoucherRow, RewardRow.code).limit(limit).offset(offset))


def usable_vouchers(db: Database, member_id: str, *, at: datetime) -> list[Voucher]:
    """Every voucher of the member still usable at ``at`` (issued, neither used nor cancelled,
    and before its end), newest first: all of them, however many, none left to a later page."""
    with db.transaction() as session:
        member = _member(session, member_id)
        usable = sa.select(VoucherRow, RewardRow.code).where(
            VoucherRow.status == "issued", sa.or_(VoucherRow.expires_at.is_(None), VoucherRow.expires_at > at))
        return _vouchers(session, member, usable)


def _vouchers(session: Session, member: MemberRow, query: sa.Select) -> list[Voucher]:
    """The member's vouchers ``query`` selects (with their reward's code), newest first."""
    rows = session.execute(query.join(RewardRow, RewardRow.id == VoucherRow.reward_id)
                           .where(VoucherRow.member_id == member.id).order_by(VoucherRow.id.desc()))
    return [_to_voucher(v, code, member.public_id) for v, code in rows]


def get_voucher(db: Database, voucher_code: str) -> Voucher:
    """A voucher by its code."""
    with db.transaction() as session:
        return _voucher_plain(session, _voucher(session, voucher_code, lock=False))


def voucher_expires_at(issued_at: datetime, days: int | None, timezone: str) -> datetime | None:
    """When a voucher issued at ``issued_at`` stops being usable: after the ``days``-th day
    following its issue, programme time (midnight at the start of the next day); None
    without ``days``."""
    if days is None:
        return None
    zone = ZoneInfo(timezone)
    return end_of_day(issued_at.astimezone(zone).date() + timedelta(days=days), zone)


def _check_terms(problems: list[Problem], *, name=None, points_price=None, stock=None, per_member_limit=None,
                 tier_prices: dict, voucher_valid_days=None, without_end: int | None = None) -> None:
    """What create and change check alike (None: not given; ``without_end``: the number of
    voucher days, if any, that means vouchers without end)."""
    if name is not None and not (isinstance(name, str) and 0 < len(name.strip()) <= 100):
        problems.append(Problem("name", "must be a non-empty text of at most 100 characters"))
    for field, value, least in (("points_price", points_price, 1), ("stock", stock, 0),
                                ("per_member_limit", per_member_limit, 1)):
        if value is not None and not _whole_from(value, least):
            problems.append(Problem(field, f"must be a whole number from {least} to {MAX_COUNT:,}"))
    least = 1 if without_end is None else without_end
    if voucher_valid_days is not None and not (_whole_from(voucher_valid_days, least)
                                               and voucher_valid_days <= MAX_VOUCHER_DAYS):
        problems.append(Problem("voucher_valid_days", f"must be a whole number of days from {least} to "
                                                      f"{MAX_VOUCHER_DAYS:,}" + (" (0: without end)" if least == 0 else "")))
    for tier, points in tier_prices.items():
        if not _whole_from(points, 1):
            problems.append(Problem(f"tier_prices.{tier}", f"must be a whole number from 1 to {MAX_COUNT:,}"))


def _check_tiers(session: Session, tier_prices: dict[str, int]) -> None:
    unknown = set(tier_prices) - set(session.scalars(sa.select(TierRow.code)))
    refuse_if([Problem(f"tier_prices.{tier}", "is not a defined tier") for tier in sorted(unknown)])


def _price(session: Session, reward: RewardRow, member: MemberRow) -> int:
    tier = programme(session).tier_held(member.tier_code)
    if tier is not None:
        override = session.get(RewardTierPriceRow, (reward.id, tier))
        if override is not None:
            return override.points
    return reward.points_price


def _tier_prices(session: Session, reward_pk: int) -> dict[str, int]:
    """The reward's own prices by tier code."""
    return dict(session.execute(sa.select(RewardTierPriceRow.tier_code, RewardTierPriceRow.points)
                                .where(RewardTierPriceRow.reward_id == reward_pk)).all())


def _reward(session: Session, row: RewardRow, member: MemberRow | None = None) -> Reward:
    prices = _tier_prices(session, row.id)
    return Reward(code=row.code, name=row.name, points_price=row.points_price, stock=row.stock,
                  per_member_limit=row.per_member_limit, valid_from=row.valid_from, valid_until=row.valid_until,
                  tier_prices=prices, price_for_member=_price(session, row, member) if member else None,
                  voucher_valid_days=row.voucher_valid_days, tier_only=row.tier_only)


def _open_to(tier_only: bool, tier_prices, tier: str | None) -> bool:
    """Whether a member of ``tier`` may redeem a reward: any reward not for its tiers only, or
    one with a price for that tier."""
    return not tier_only or tier in tier_prices


def _tier_price_problems(tier_only: bool, tier_prices, points_price) -> list[Problem]:
    """A tier-only reward names its tiers; any other's tier prices are its tiers' discounts:
    a tier's members never pay more than everyone else (a price typed one digit too long)."""
    if tier_only is True:
        return [] if tier_prices else [Problem("tier_only", "name the tiers the reward is for, with their "
                                                            "prices (tier_prices)")]
    if not _whole_from(points_price, 1):
        return []  # (said of the price itself)
    return [Problem(f"tier_prices.{tier}", f"must be at most the reward's price, {points_price:,} points (a tier "
                                           "pays less, or the reward is for its tiers only)")
            for tier, points in sorted(tier_prices.items()) if _whole_from(points, 1) and points > points_price]


def _member(session: Session, member_id: str) -> MemberRow:
    member = session.scalar(sa.select(MemberRow).where(MemberRow.public_id == member_id))
    if member is None:
        raise not_found("member", member_id)
    return member


def _voucher(session: Session, code: str, *, lock: bool) -> VoucherRow:
    query = sa.select(VoucherRow).where(VoucherRow.code == code)
    if lock:
        query = query.with_for_update()
    voucher = session.scalar(query)
    if voucher is None:
        raise not_found("voucher", code)
    return voucher


def _voucher_plain(session: Session, voucher: VoucherRow) -> Voucher:
    return _to_voucher(voucher, session.get(RewardRow, voucher.reward_id).code,
                       session.get(MemberRow, voucher.member_id).public_id)


def _to_voucher(voucher: VoucherRow, reward_code: str, member_id: str) -> Voucher:
    return Voucher(voucher_code=voucher.code, reward_code=reward_code, member_id=member_id, points=voucher.points,
                   status=voucher.status, issued_at=voucher.issued_at, used_at=voucher.used_at,
                   cancelled_at=voucher.cancelled_at, expires_at=voucher.expires_at)


def _expired(session: Session, voucher: VoucherRow) -> VoucherExpired:
    last_day = last_day_before(voucher.expires_at, ZoneInfo(read_settings(session).timezone))
    return VoucherExpired(f"voucher {voucher.code} was usable through {last_day.isoformat()}; it has expired")


def _new_voucher_code() -> str:
    return "V" + secrets.token_hex(10).upper()
