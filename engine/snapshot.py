"""The programme's configuration as the busy paths read it: once per change, not per request.

Settings, stores, terminals and their signing keys, published rule versions, campaigns,
predicate segments, tiers, the tier policy and the webhook endpoints change rarely, and
every accrual reads them. Database triggers on their tables (migration 0009) move
``programme_revision.revision`` forward in the same transaction as any change, whoever makes
it (the engine, the CLI, an operator's SQL). Each process keeps the snapshot it read at one
revision; a transaction looks at the revision once (one primary-key read) and uses the kept
snapshot when it matches, or reads a new one.

Guarantees:
- a transaction sees the configuration as of its first ``programme()`` call, and so every
  change committed before that call (or as of its idempotency claim, which reads the
  revision in its own statement, when that came first: the revision is not read twice);
  inside ``pinned(snapshot)`` (a till's request, pinned when its signature is checked) as
  of ``snapshot`` instead, so one request reads the revision at most once;
- a request may be pinned to the snapshot the process kept without reading the revision
  first (``checked=False``): the revision is then compared with the pinned one by the
  request's first ``programme()`` call, or its first commit, or ``confirm_pin`` (whichever
  comes first; the idempotency claim passes it along in its own statement). When it moved,
  ``ProgrammeMoved`` is raised before anything was committed, and the request is to be run
  again on the current configuration: nothing is ever committed on a stale configuration;
- a transaction that changes configuration itself sees its own changes from then on: the
  change drops its snapshot (session events below), and a snapshot read by a session with
  changes of its own is never kept for others;
- a snapshot is plain frozen data, attached to no session, safe to share between threads.

A migration that recreates a watched table on SQLite (Alembic batch mode) must create its
triggers again; tests/migrations checks that every watched table has them at head.
"""
from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.database import Database
from engine.orm.access import TerminalCredentialRow
from engine.orm.ledger import SYSTEM_ACCOUNTS, AccountRow
from engine.orm.programme import ProgrammeRevisionRow, ProgrammeSettingsRow
from engine.orm.rules import CampaignBudgetSliceRow, CampaignRow, RuleVersionRow, SegmentRow
from engine.orm.stores import StoreRow, TerminalRow
from engine.orm.tiers import TierPolicyRow, TierRow
from engine.orm.webhooks import WebhookEndpointRow
from engine.programme import ProgrammeSettings
from engine.tiers.policy import TierDefinition, TierPolicy

WATCHED_TABLES = frozenset({"programme_settings", "stores", "terminals", "terminal_credentials", "rule_versions",
                            "campaigns", "segments", "tiers", "tier_policy", "webhook_endpoints"})
# Accruals update the budget slices; only how many there are belongs to the configuration.
WATCHED_INSERT_DELETE = frozenset({"campaign_budget_slices"})
_SESSION_KEY = "programme_snapshot"
_CHANGED_KEY = "programme_changed"
_REVISION_KEY = "programme_revision_read"  # read by this transaction before its first programme()


@dataclass(frozen=True)
class StoreInfo:
    id: int
    code: str
    name: str
    timezone: str
    group_code: str | None
    channel: str = "store"  # "online": a web shop


@dataclass(frozen=True)
class TerminalInfo:
    id: int
    code: str
    store_id: int
    store_code: str
    status: str


@dataclass(frozen=True)
class LiveTerminalKey:
    """A signing key that identifies its terminal: not revoked, terminal active."""
    key_id: str
    secret: str
    created_at: datetime
    terminal_code: str
    store_code: str


@dataclass(frozen=True)
class PublishedVersion:
    id: int
    rule_key: str
    version: int
    digest: str
    published_at: datetime
    valid_until: datetime | None

    def in_force(self, at: datetime) -> bool:
        return self.published_at <= at and (self.valid_until is None or at < self.valid_until)


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    code: str
    starts_at: datetime
    ends_at: datetime
    segment_code: str | None
    holdout_share: Decimal
    budget_slices: int  # 0: no budget, unlimited
    member_cap: int | None = None  # what one member may get from it in all (None: no cap)
    slice_size: int = 0  # the budget's points per slice, on average


@dataclass(frozen=True)
class ProgrammeSnapshot:
    revision: int
    settings: ProgrammeSettings
    stores: Mapping[str, StoreInfo]
    terminals: Mapping[str, TerminalInfo]
    terminal_keys: Mapping[str, LiveTerminalKey]
    rule_versions: tuple[PublishedVersion, ...]
    campaigns: Mapping[str, CampaignInfo]
    predicate_segments: tuple[tuple[str, dict], ...]
    tiers: tuple[TierDefinition, ...]  # lowest first
    tier_policy: TierPolicy | None
    system_accounts: Mapping[str, int]
    # event kind -> the active webhook endpoints taking it (``engine.webhooks``)
    webhook_endpoints: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def versions_in_force(self, at: datetime) -> list[PublishedVersion]:
        """The published rule versions in force at ``at``."""
        return [v for v in self.rule_versions if v.in_force(at)]

    def tier_held(self, tier_code: str | None) -> str | None:
        """The tier of a member whose row says ``tier_code``: a member not placed yet (enrolled
        or imported since the last review, which places them) is in the lowest tier; None
        only while the programme has no tiers."""
        return tier_code if tier_code is not None or not self.tiers else self.tiers[0].code

    def tier_multiplier(self, tier_code: str | None) -> Decimal:
        """The earn multiplier of ``tier_code`` (1 without a tier or for an unknown one)."""
        return next((t.earn_multiplier for t in self.tiers if t.code == tier_code), Decimal(1))


# The snapshot this process keeps per database engine: the last one read. Threads may race
# to replace it; whichever wins, a snapshot of another revision is simply read again.
_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_pinned: ContextVar[Pin | None] = ContextVar("programme_pinned", default=None)


class ProgrammeMoved(Exception):
    """The configuration a request was pinned to is no longer the current one; nothing was
    committed, and the request is to be run again with the current configuration."""


@dataclass
class Pin:
    """The snapshot one request works with, and whether its revision is known to be current."""
    engine: sa.Engine
    snapshot: ProgrammeSnapshot
    checked: bool


def _pin_of(session: Session) -> Pin | None:
    pin = _pinned.get()
    return pin if pin is not None and pin.engine is session.get_bind().engine else None


def _usable_pin(session: Session) -> Pin | None:
    # a transaction with configuration changes of its own sees them, never a pinned snapshot
    return None if session.info.get(_CHANGED_KEY, False) else _pin_of(session)


def programme(session: Session) -> ProgrammeSnapshot:
    """The programme's configuration for this transaction (see the module's guarantees)."""
    found = session.info.get(_SESSION_KEY)
    if found is not None:
        return found
    pin = _usable_pin(session)
    if pin is not None:
        _check_pin(session, pin)
        snapshot = pin.snapshot
    else:
        snapshot = _current(session, keep=not session.info.get(_CHANGED_KEY, False))
    session.info[_SESSION_KEY] = snapshot
    return snapshot


def pinned_programme(session: Session) -> ProgrammeSnapshot | None:
    """The snapshot this transaction's request is pinned to, made its ``programme()`` without
    comparing the revision yet: for a first read made from the configuration that carries
    the idempotency claim, whose statement reads the revision and compares it
    (``check_revision``; a stale pin raises ``ProgrammeMoved`` there, before anything is
    committed, as the commit's own check would). The transaction's configuration when it has
    one already; else None without a pin or after changes of the transaction's own
    (``programme()`` would read the revision: a statement of its own)."""
    found = session.info.get(_SESSION_KEY)
    if found is not None:
        return found
    pin = _usable_pin(session)
    if pin is None:
        return None
    session.info[_SESSION_KEY] = pin.snapshot
    return pin.snapshot


def current_programme(db: Database) -> ProgrammeSnapshot:
    """The configuration as of now, outside any transaction of the caller's: one statement
    when the process already holds the current revision (without BEGIN and COMMIT on
    PostgreSQL)."""
    with db.autocommit_session() as session:
        return _current(session, keep=True)


def kept_programme(db: Database) -> ProgrammeSnapshot | None:
    """The snapshot this process read last, without asking whether it is still current (to
    pin with ``checked=False``); None before the first read."""
    return _kept.get(db.engine)


@contextmanager
def pinned(db: Database, snapshot: ProgrammeSnapshot, *, checked: bool = True) -> Iterator[Pin]:
    """Inside the block, ``programme()`` answers ``snapshot`` for transactions on ``db`` that
    change no configuration themselves. ``checked=False``: ``snapshot`` may be stale, and is
    compared with the database's revision before it is used or anything is committed (see
    the module's guarantees)."""
    pin = Pin(db.engine, snapshot, checked)
    token = _pinned.set(pin)
    try:
        yield pin
    finally:
        _pinned.reset(token)


def check_revision(session: Session, revision: int) -> None:
    """Compare the database's ``revision`` (read by ``session``) with the request's unchecked
    pin: ``ProgrammeMoved`` if it moved, else the pin counts as checked. Without a pin, the
    transaction's ``programme()`` takes ``revision`` as the current one."""
    pin = _pin_of(session)
    if pin is None:
        if not session.info.get(_CHANGED_KEY, False):
            session.info[_REVISION_KEY] = revision  # programme() need not read it again
        return
    if pin.checked:
        return
    if revision != pin.snapshot.revision:
        raise ProgrammeMoved(f"configuration revision {pin.snapshot.revision} was pinned; {revision} is current")
    pin.checked = True


def confirm_pin(db: Database, pin: Pin) -> None:
    """Make sure an unchecked pin is current (one read), or raise ``ProgrammeMoved``."""
    if not pin.checked:
        with db.autocommit_session() as session:
            _check_pin(session, pin)


def _check_pin(session: Session, pin: Pin | None) -> None:
    if pin is not None and not pin.checked:
        check_revision(session, session.scalar(_REVISION))


# Statements on the path of every request are built once: building one costs more Python
# time than sending it.
_REVISION = sa.select(ProgrammeRevisionRow.revision).where(ProgrammeRevisionRow.id == 1)


def lock_programme(session: Session) -> None:
    """Hold the programme's revision row until the caller's transaction ends, so that two
    changes of the configuration take turns (each then sees what the other wrote). Readers
    are not held up: they read the row without locking it."""
    session.execute(_REVISION.with_for_update())


def _current(session: Session, *, keep: bool) -> ProgrammeSnapshot:
    """The snapshot at the revision the database has now (or as the transaction's idempotency
    claim read it): the kept one if it is that revision, else a new one (kept for others only
    with ``keep``)."""
    revision = session.info.pop(_REVISION_KEY, None)
    if revision is None:
        revision = session.scalar(_REVISION)
    engine = session.get_bind().engine  # a session may be bound to an engine or to one of its connections
    snapshot = _kept.get(engine)
    if snapshot is None or snapshot.revision != revision or not keep:
        snapshot = _read(session, revision)
        if keep:
            _kept[engine] = snapshot
    return snapshot


def _read(session: Session, revision: int) -> ProgrammeSnapshot:
    settings_row = session.get(ProgrammeSettingsRow, 1)
    settings = ProgrammeSettings() if settings_row is None else ProgrammeSettings(
        **{name: getattr(settings_row, name) for name in ProgrammeSettings.field_names()})
    stores = {row.code: StoreInfo(row.id, row.code, row.name, row.timezone, row.group_code, row.channel)
              for row in session.execute(sa.select(StoreRow.id, StoreRow.code, StoreRow.name, StoreRow.timezone,
                                                   StoreRow.group_code, StoreRow.channel))}
    code_of_store = {store.id: store.code for store in stores.values()}
    terminals = {row.code: TerminalInfo(row.id, row.code, row.store_id, code_of_store[row.store_id], row.status)
                 for row in session.execute(sa.select(TerminalRow.id, TerminalRow.code, TerminalRow.store_id,
                                                      TerminalRow.status))}
    terminal_codes = {t.id: t for t in terminals.values()}
    keys = {}
    for row in session.execute(sa.select(TerminalCredentialRow.key_id, TerminalCredentialRow.secret,
                                         TerminalCredentialRow.created_at, TerminalCredentialRow.terminal_id)
                               .where(TerminalCredentialRow.revoked_at.is_(None))):
        terminal = terminal_codes[row.terminal_id]
        if terminal.status == "active":
            keys[row.key_id] = LiveTerminalKey(row.key_id, row.secret, row.created_at, terminal.code,
                                               terminal.store_code)
    versions = tuple(PublishedVersion(*row) for row in session.execute(
        sa.select(RuleVersionRow.id, RuleVersionRow.rule_key, RuleVersionRow.version, RuleVersionRow.digest,
                  RuleVersionRow.published_at, RuleVersionRow.valid_until)
        .where(RuleVersionRow.published_at.is_not(None)).order_by(RuleVersionRow.id)))
    slices = dict(session.execute(sa.select(CampaignBudgetSliceRow.campaign_id, sa.func.count())
                                  .group_by(CampaignBudgetSliceRow.campaign_id)).all())
    campaigns = {row.code: CampaignInfo(row.id, row.code, row.starts_at, row.ends_at, row.segment_code,
                                        Decimal(row.holdout_share), slices.get(row.id, 0), row.member_cap,
                                        (row.budget or 0) // max(slices.get(row.id, 0), 1))
                 for row in session.execute(sa.select(CampaignRow.id, CampaignRow.code, CampaignRow.starts_at,
                                                      CampaignRow.ends_at, CampaignRow.segment_code,
                                                      CampaignRow.holdout_share, CampaignRow.member_cap,
                                                      CampaignRow.budget))}
    segments = tuple((code, definition) for code, definition in session.execute(
        sa.select(SegmentRow.code, SegmentRow.definition).where(SegmentRow.kind == "predicate")
        .order_by(SegmentRow.code)))
    tiers = tuple(TierDefinition(row.code, row.name, row.threshold, Decimal(row.earn_multiplier))
                  for row in session.execute(sa.select(TierRow.code, TierRow.name, TierRow.threshold,
                                                       TierRow.earn_multiplier).order_by(TierRow.rank)))
    policy_row = session.get(TierPolicyRow, 1)
    policy = None if policy_row is None else TierPolicy(policy_row.window_kind, policy_row.window_months,
                                                        policy_row.review, policy_row.grace_months,
                                                        policy_row.measure)
    system = dict(session.execute(sa.select(AccountRow.kind, AccountRow.id)
                                  .where(AccountRow.kind.in_(SYSTEM_ACCOUNTS))).all())
    webhooks: dict[str, tuple[int, ...]] = {}
    for endpoint_id, kinds in session.execute(sa.select(WebhookEndpointRow.id, WebhookEndpointRow.kinds)
                                              .where(WebhookEndpointRow.active.is_(True))
                                              .order_by(WebhookEndpointRow.id)):
        for kind in json.loads(kinds):
            webhooks[kind] = webhooks.get(kind, ()) + (endpoint_id,)
    return ProgrammeSnapshot(revision, settings, stores, terminals, keys, versions, campaigns, segments, tiers,
                             policy, system, webhooks)


def _changed(session: Session) -> None:
    session.info[_CHANGED_KEY] = True
    session.info.pop(_SESSION_KEY, None)
    session.info.pop(_REVISION_KEY, None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    # "new", "dirty" and "deleted" still hold what this flush wrote.
    for row in (*session.new, *session.deleted):
        if getattr(row, "__tablename__", None) in WATCHED_TABLES | WATCHED_INSERT_DELETE:
            _changed(session)
            return
    for row in session.dirty:
        if getattr(row, "__tablename__", None) in WATCHED_TABLES:
            _changed(session)
            return


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _check_pin(session, _pin_of(session))


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement.table, "name", None)
        if table in WATCHED_TABLES or (table in WATCHED_INSERT_DELETE and not state.is_update):
            _changed(state.session)
