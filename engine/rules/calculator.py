"""Rules as the ledger's points calculator, and simulation.

Accruals: ``earn_points`` (engine/ledger/earning.py), when no calculator is passed, calls
``calculator_for_sale``: it loads the rule versions in force at the sale's instant (the
compiled set is cached per set of published versions), the member's facts, what the
member's capped rules already gave in the sale's store-local day/week/month, and the
campaigns open to the member; the campaign budget is claimed from slices while the
basket is evaluated. The base rate of the programme settings always applies first (entry
``base`` of the breakdown); with no published rules it is all a sale earns.

Simulation (``simulate``) runs the same evaluation in a transaction that posts nothing and
is rolled back: for a real member (``member_id``) or a hypothetical one (``MemberFacts``),
against the published rules, with drafts (``draft_keys``) or unsaved rules (``rules``)
replacing the published versions of the same keys.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import ARRAY
from sqlalchemy.orm import Session

from engine.database import Database, batches, is_postgres, postgresql_rows
from engine.errors import InvalidInput, Problem, not_found, refuse_if
from engine.ledger.basket import (FUTURE_SALE, BaseRateCalculator, Basket, EarningContext, LinePoints,
                                  sale_points_problems, validate_basket)
from engine.orm.ledger import ReceiptRow, RefundRow
from engine.orm.members import MemberRow
from engine.orm.rules import (CampaignBudgetSliceRow, CampaignRow, MemberAttributeRow, ReceiptRuleAwardRow,
                              RuleVersionRow, SegmentMemberRow, SegmentRow)
from engine.rules.campaigns import BudgetClaims, budget_left, claim_budget, held_out
from engine.rules.compiled import CompiledRuleSet
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import Rule, rule_from_dict
from engine.rules.awards import RuleAward
from engine.rules.segments import with_predicate_segments
from engine.rules.validation import validate_rule
from engine.settings import read_settings
from engine.snapshot import StoreInfo, programme

if TYPE_CHECKING:
    from engine.tiers.service import UpgradeCheck

_CACHE: dict[tuple, CompiledRuleSet] = {}
_CACHE_SIZE = 32


@dataclass(frozen=True)
class Evaluation:
    """Points per line (base rate included) and the per-rule breakdown, base first."""

    lines: list[LinePoints]
    awards: list[RuleAward]

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)


class RulesCalculator:
    """A ``PointsCalculator`` over a compiled rule set and the facts of one sale."""

    def __init__(self, rule_set: CompiledRuleSet, *, sale: SaleFacts, member: MemberFacts, usage: Usage,
                 claim=None, version_ids: dict[tuple[str, int], int] | None = None):
        self.rule_set, self.sale, self.member, self.usage, self.claim = rule_set, sale, member, usage, claim
        self.version_ids = version_ids or {}
        self.qualifying_so_far: int | None = None  # the tier window's sum, when an accrual asked for it

    def evaluate(self, basket: Basket, context: EarningContext) -> Evaluation:
        """Every line's points and the breakdown by rule version."""
        base = BaseRateCalculator().points_for(basket, context)
        eligible = [b.eligible_minor for b in base]
        totals, awards = self.rule_set.evaluate(basket, sale=self.sale, member=self.member, eligible=eligible,
                                                base=[b.points for b in base], usage=self.usage, claim=self.claim)
        return Evaluation([LinePoints(b.line_no, b.eligible_minor, p) for b, p in zip(base, totals)], awards)

    def points_for(self, basket: Basket, context: EarningContext) -> list[LinePoints]:
        return self.evaluate(basket, context).lines


def compiled_in_force(session: Session, at: datetime) -> tuple[CompiledRuleSet, dict[tuple[str, int], int]]:
    """The compiled set of the versions in force at ``at`` (cached per set of versions) and
    their row ids by ``(rule_key, version)``."""
    rows = programme(session).versions_in_force(at)
    key = tuple(sorted((r.rule_key, r.version, r.digest) for r in rows))
    ids = {(r.rule_key, r.version): r.id for r in rows}
    compiled = _CACHE.get(key)
    if compiled is None:
        definitions = dict(session.execute(sa.select(RuleVersionRow.id, RuleVersionRow.definition)
                                           .where(RuleVersionRow.id.in_(list(ids.values())))).all())
        compiled = CompiledRuleSet([(rule_from_dict(definitions[ids[(k, v)]]), v) for k, v, _ in key])
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = compiled
    return compiled, ids


# Statements on every accrual's path are built once (building costs more than sending).
# Rows of (kind, name, value, day, applied): the member's attributes, listed segments,
# whether they have bought (a receipt of theirs not refunded in full: a first purchase brought
# back in full loses its first-purchase bonus with the refund, so the next sale is the first
# again, as purchases count everywhere, engine.ledger.purchases), and (accruals) what their
# capped rules gave each day lately. ``member`` is the member's primary key: a parameter, or
# the column of the members row a first read joins (``FactsToRead.column``).
_AWARDS = ReceiptRuleAwardRow.__table__
_MEMBERS = MemberRow.__table__
_MEMBER_PK = sa.bindparam("member_pk")


def _correlated(statement, member):
    return statement if member is _MEMBER_PK else statement.correlate(_MEMBERS)


@functools.cache
def _fact_rows(member=_MEMBER_PK) -> tuple[sa.Select, ...]:
    refunded = (sa.select(sa.func.sum(RefundRow.amount_minor)).where(RefundRow.receipt_id == ReceiptRow.id)
                .scalar_subquery())
    return (
        _correlated(sa.select(sa.literal("attribute").label("kind"), MemberAttributeRow.name.label("name"),
                              MemberAttributeRow.value.label("value"), sa.cast(sa.null(), sa.Date).label("day"),
                              sa.cast(sa.null(), sa.BigInteger).label("applied"))
                    .where(MemberAttributeRow.member_id == member), member),
        _correlated(sa.select(sa.literal("segment"), SegmentRow.code, sa.null(), sa.null(), sa.null())
                    .join(SegmentMemberRow, SegmentMemberRow.segment_id == SegmentRow.id)
                    .where(SegmentMemberRow.member_id == member), member),
        _correlated(sa.select(sa.literal("purchased"), sa.null(), sa.null(), sa.null(), sa.null())
                    .where(_correlated(sa.exists().where(ReceiptRow.member_id == member,
                                                         ReceiptRow.total_minor > sa.func.coalesce(refunded, -1)),
                                       member)), member))  # (no refund at all: it stands, even at a total of zero)


@functools.cache
def _usage(postgresql: bool, member=_MEMBER_PK) -> sa.Select:
    """Summed per key and day in the database: a member who shops many times a day brings
    back at most (capped keys) x (days of the span) rows, not one per award. On PostgreSQL
    the keys go as one array (the driver sends statements as they are compiled)."""
    keys_listed = (_AWARDS.c.rule_key == sa.func.any(sa.bindparam("keys", type_=ARRAY(sa.String)))) if postgresql \
        else _AWARDS.c.rule_key.in_(sa.bindparam("keys", expanding=True))
    return _correlated(sa.select(sa.literal("usage"), _AWARDS.c.rule_key, sa.null(), _AWARDS.c.local_date,
                                 sa.cast(sa.func.sum(_AWARDS.c.applied), sa.BigInteger)).where(
        _AWARDS.c.member_id == member, keys_listed,
        _AWARDS.c.local_date >= sa.bindparam("since"), _AWARDS.c.local_date < sa.bindparam("until")).group_by(
        _AWARDS.c.rule_key, _AWARDS.c.local_date), member)


_MEMBER_FACTS = sa.union_all(*_fact_rows())
# what a member got from each campaign in all (its member cap counts it)
_CAMPAIGN_USED = (sa.select(_AWARDS.c.campaign_code, sa.func.sum(_AWARDS.c.applied))
                  .where(_AWARDS.c.member_id == sa.bindparam("member_pk"),
                         _AWARDS.c.campaign_code.in_(sa.bindparam("codes", expanding=True)))
                  .group_by(_AWARDS.c.campaign_code))


@functools.cache
def _spent(postgresql: bool) -> sa.Select:
    """Rows ``("spent", id)`` of the listed campaigns whose every budget slice is used up."""
    slices = CampaignBudgetSliceRow.__table__
    campaigns_listed = (CampaignRow.id == sa.func.any(sa.bindparam("budgeted", type_=ARRAY(sa.BigInteger)))) \
        if postgresql else CampaignRow.id.in_(sa.bindparam("budgeted", expanding=True))
    return sa.select(sa.literal("spent"), sa.cast(CampaignRow.id, sa.String), sa.null(), sa.null(), sa.null()).where(
        campaigns_listed, ~sa.exists().where(slices.c.campaign_id == CampaignRow.id, slices.c.used < slices.c.size))


@functools.cache
def _accrual_facts(capped: bool, qualifying: sa.Select | None, budgeted: bool, postgresql: bool,
                   member=_MEMBER_PK) -> sa.CompoundSelect:
    """An accrual's one round trip for the member's facts, the usage of their capped rules,
    (``qualifying``) the tier window's sum for an immediate upgrade and (``budgeted``) which
    of the rules' budgeted campaigns have spent their budget. On PostgreSQL an accrual sends
    it through the driver itself (the lists as arrays), which saves SQLAlchemy's work around it."""
    usage = [_usage(postgresql, member)] if capped else []
    spent = [_spent(postgresql)] if budgeted else []
    return sa.union_all(*_fact_rows(member), *usage, *([] if qualifying is None else [qualifying]), *spent)


@functools.cache
def _facts_column(capped: bool, qualifying: sa.Select | None, budgeted: bool) -> sa.Label:
    facts = _accrual_facts(capped, qualifying, budgeted, True, _MEMBERS.c.id).subquery("facts")
    # (the columns by the names the first row set gives them: a union's collection of columns
    # leaves out one that is SQL text, as the tier window's sum is)
    columns = [sa.literal_column(f"facts.{name}") for name in ("kind", "name", "value", "day", "applied")]
    return (sa.select(sa.func.json_agg(sa.func.json_build_array(*columns))).select_from(facts)
            .scalar_subquery().label("member_facts"))


@dataclass(frozen=True)
class FactsToRead:
    """What an accrual reads of its member's facts (``calculator_for_sale``), made from the
    configuration alone, so before anything of the member is read: the rule set in force at the
    sale's instant, the sale's store-local day, the tier window's check (``upgrade``) and
    the budgeted campaigns. Read on its own (:meth:`statement`, for ``member_pk``), or with
    the first read that finds the member (:meth:`column`, correlated to the ``members`` row
    it joins: one round trip fewer; ``FactsRead``)."""

    rule_set: CompiledRuleSet
    version_ids: dict[tuple[str, int], int]
    sale: SaleFacts
    local_day: date
    upgrade: UpgradeCheck | None
    parameters: dict
    capped: bool
    budgeted: bool

    def statement(self, postgresql: bool) -> sa.CompoundSelect:
        return _accrual_facts(self.capped, None if self.upgrade is None else self.upgrade.rows(), self.budgeted,
                              postgresql)

    def column(self) -> sa.Label:
        """PostgreSQL: the facts as one JSON column ``member_facts`` of a statement that joins
        ``members`` (a list of [kind, name, value, day, applied], or null: see
        :meth:`FactsRead.from_json`), with :attr:`parameters`."""
        return _facts_column(self.capped, None if self.upgrade is None
                             else self.upgrade.rows("members.id", "members.tier_code"), self.budgeted)


@dataclass(frozen=True)
class FactsRead:
    """The member's facts read already, under the account's lock (``engine.ledger.earning``):
    for the member ``member_pk``, as ``to_read`` asked."""

    to_read: FactsToRead
    member_pk: int
    rows: list

    @classmethod
    def from_json(cls, to_read: FactsToRead, member_pk: int, document: list | None) -> FactsRead:
        """The rows of :meth:`FactsToRead.column`'s JSON as its own statement gives them (days
        as dates)."""
        return cls(to_read, member_pk, [
            (kind, name, value, None if day is None else date.fromisoformat(day), applied)
            for kind, name, value, day, applied in document or ()])


def facts_to_read(session: Session, basket: Basket, store: StoreInfo, upgrade: UpgradeCheck | None) -> FactsToRead:
    """What an accrual of ``basket`` in ``store`` reads of its member's facts (any member: the
    statement's parameters but ``member_pk``)."""
    rule_set, ids = compiled_in_force(session, basket.occurred_at)
    sale = sale_facts(store, basket.channel)
    local_day = sale.local(basket.occurred_at).date()
    capped = rule_set.keys_capped_per_member
    parameters = {}
    if capped:
        parameters.update(keys=capped, **_usage_span(local_day))
    if upgrade is not None:
        parameters.update(upgrade.parameters(basket))
    campaigns = programme(session).campaigns
    budgeted = sorted(campaigns[code].id for code in rule_set.campaigns
                      if code in campaigns and campaigns[code].budget_slices)
    if budgeted:
        parameters["budgeted"] = budgeted
    return FactsToRead(rule_set, ids, sale, local_day, upgrade, parameters, bool(capped), bool(budgeted))


def member_facts(session: Session, member: MemberRow) -> MemberFacts:
    """The member as rules see it; ``first_purchase`` when no receipt of theirs stands yet
    (none, or each refunded in full)."""
    return _facts_from(session, member, session.execute(_MEMBER_FACTS, {"member_pk": member.id}).all())


def members_facts(session: Session, member_pks: set[int]) -> dict[int, MemberFacts]:
    """``member_facts`` of the members with these primary keys, by key, in three statements
    per thousand members, with no first purchase asked: none is one."""
    members: list[MemberRow] = []
    attributes: dict[int, dict[str, str]] = {pk: {} for pk in member_pks}
    listed: dict[int, set[str]] = {pk: set() for pk in member_pks}
    a, s = MemberAttributeRow, SegmentMemberRow
    for chunk in batches(sorted(member_pks), 1000):
        members += session.scalars(sa.select(MemberRow).where(MemberRow.id.in_(chunk)))  # profiles come joined
        for pk, name, value in session.execute(sa.select(a.member_id, a.name, a.value).where(a.member_id.in_(chunk))):
            attributes[pk][name] = value
        for pk, code in session.execute(sa.select(s.member_id, SegmentRow.code).join(
                SegmentRow, SegmentRow.id == s.segment_id).where(s.member_id.in_(chunk))):
            listed[pk].add(code)
    return {m.id: _facts(session, m, attributes[m.id], listed[m.id], first_purchase=False) for m in members}


def _facts_from(session: Session, member: MemberRow, rows) -> MemberFacts:
    return _facts(session, member, {name: value for kind, name, value, _, _ in rows if kind == "attribute"},
                  {name for kind, name, _, _, _ in rows if kind == "segment"},
                  first_purchase=not any(row[0] == "purchased" for row in rows))


def _facts(session: Session, member: MemberRow, attributes: dict[str, str], listed: set[str], *,
           first_purchase: bool) -> MemberFacts:
    tier = programme(session).tier_held(member.tier_code)
    return MemberFacts(tier_code=tier, enrolled_at=member.enrolled_at,
                       birthday=member.profile.birthday if member.profile else None, first_purchase=first_purchase,
                       segments=with_predicate_segments(session, listed, tier, attributes),
                       attributes=attributes, member_id=member.public_id,
                       tier_multiplier=tier_multiplier(session, tier))


def tier_multiplier(session: Session, tier_code: str | None) -> Decimal:
    """The earn multiplier of ``tier_code`` (1 without a tier or for an unknown one)."""
    return programme(session).tier_multiplier(tier_code)


def sale_facts(store: StoreInfo, channel: str | None = None) -> SaleFacts:
    """The sale as rules see it: the store, its group and time zone, the channel (an online
    store's sales are ``online``, whatever the basket says)."""
    return SaleFacts(store.code, store.group_code, store.timezone, "online" if store.channel == "online" else channel)


def _calendar(local_day: date) -> tuple[date, date, date]:
    """The first day of ``local_day``'s ISO week, of its month and of the next month."""
    week_start = local_day - timedelta(days=local_day.isoweekday() - 1)
    month_start = local_day.replace(day=1)
    return week_start, month_start, (month_start + timedelta(days=32)).replace(day=1)


def _usage_span(local_day: date) -> dict[str, date]:
    """The days whose awards count towards ``local_day``'s day, week and month caps."""
    week_start, month_start, next_month = _calendar(local_day)
    return {"since": min(week_start, month_start), "until": max(week_start + timedelta(days=7), next_month)}


def usage_for(session: Session, member: MemberRow | None, facts: MemberFacts, rule_set: CompiledRuleSet,
              local_day: date, at: datetime, *, with_budgets: bool, usage_rows=None) -> Usage:
    """What the member's capped rules already gave in the day/week/month of ``local_day``, the
    campaigns open to the member at ``at``, what the member may still get from those with a
    member cap, and (``with_budgets``) their budgets left.
    ``usage_rows``: what the capped keys gave the member each day around ``local_day``, read
    already (rows of kind, rule key, value, day, points applied that day)."""
    capped = rule_set.keys_capped_per_member
    day, week, month = {}, {}, {}
    if capped and member is not None:
        week_start, month_start, next_month = _calendar(local_day)
        if usage_rows is None:
            usage_rows = session.execute(_usage(False), {"member_pk": member.id, "keys": capped,
                                                         **_usage_span(local_day)})
        for _, key, _, when, applied in usage_rows:
            if when == local_day:
                day[key] = day.get(key, 0) + applied
            if week_start <= when < week_start + timedelta(days=7):
                week[key] = week.get(key, 0) + applied
            if month_start <= when < next_month:
                month[key] = month.get(key, 0) + applied
    codes = rule_set.campaigns
    open_, left, ids, member_left = set(), {}, {}, {}
    if codes:
        known = programme(session).campaigns
        campaigns = [known[code] for code in codes if code in known]
        ids = {c.code: c.id for c in campaigns}
        for c in campaigns:
            if not (c.starts_at <= at < c.ends_at):
                continue
            if c.segment_code is not None and c.segment_code not in facts.segments:
                continue
            if facts.member_id is not None and held_out(c.code, facts.member_id, c.holdout_share):
                continue
            open_.add(c.code)
        if with_budgets:
            by_id = budget_left(session, list(ids.values()))
            left = {code: by_id[i] for code, i in ids.items() if i in by_id}
        caps = {c.code: c.member_cap for c in campaigns if c.code in open_ and c.member_cap is not None}
        if caps:
            used = {} if member is None else dict(session.execute(
                _CAMPAIGN_USED, {"member_pk": member.id, "codes": sorted(caps)}).all())
            member_left = {code: max(cap - int(used.get(code) or 0), 0) for code, cap in caps.items()}
    return Usage(day, week, month, left, frozenset(open_), member_left)


def calculator_for_sale(session: Session, basket: Basket, member: MemberRow, store: StoreInfo, *,
                        upgrade: UpgradeCheck | None = None, budgets: BudgetClaims | None = None,
                        read: FactsRead | None = None) -> RulesCalculator:
    """The calculator an accrual uses: published rules at the sale's instant, the member's
    facts and usage, and a budget claim from the campaign slices (locks last until commit),
    or with ``budgets`` a claim to take when the sale is written (``BudgetClaims``).
    With ``upgrade``, the same statement reads the tier window's qualifying sum so far, which
    the calculator keeps in ``qualifying_so_far`` for ``engine.tiers.service.upgrade_on_accrual``.
    ``read``: the facts read already, under the account's lock (used when they are this
    member's and hold what ``upgrade`` asks; else they are read now)."""
    if read is not None and read.member_pk == member.id and (upgrade is None or read.to_read.upgrade == upgrade):
        to_read, rows = read.to_read, read.rows
    else:
        to_read = facts_to_read(session, basket, store, upgrade)
        parameters = {**to_read.parameters, "member_pk": member.id}
        postgresql = is_postgres(session)
        statement = to_read.statement(postgresql)
        rows = postgresql_rows(session, statement, parameters) if postgresql \
            else session.execute(statement, parameters).all()
    rule_set = to_read.rule_set
    facts = _facts_from(session, member, rows)
    usage = usage_for(session, member, facts, rule_set, to_read.local_day, basket.occurred_at, with_budgets=False,
                      usage_rows=[row for row in rows if row[0] == "usage"])
    # A spent budget stays spent unless a marketer raises it (refunds give none back), and a
    # sale that read it before the raise committed may come first: read without locks, it is
    # good enough to ask for nothing. Without it every sale a spent campaign's rule fires for
    # would be written, find no slice with room, and run again (BudgetRanShort): twice the
    # work for every such sale until the campaign ends.
    spent = {int(row[1]) for row in rows if row[0] == "spent"}
    campaigns = programme(session).campaigns

    def claim(campaign: str, points: int) -> int:
        known = campaigns[campaign]
        if known.id in spent:
            return 0
        granted = None if budgets is None else budgets.claim(known.id, points, slice_count=known.budget_slices,
                                                             slice_size=known.slice_size)
        if granted is None:
            granted = claim_budget(session, known.id, points, start=member.id, slice_count=known.budget_slices)
        return granted
    calculator = RulesCalculator(rule_set, sale=to_read.sale, member=facts, usage=usage, claim=claim,
                                 version_ids=to_read.version_ids)
    if upgrade is not None:
        calculator.qualifying_so_far = next(int(row[4]) for row in rows if row[0] == "qualifying")
    return calculator


def award_rows(calculator: RulesCalculator, evaluation: Evaluation, *, member_pk: int,
               occurred_at: datetime) -> list[dict]:
    """What each rule version gave a receipt, in total and per line (``receipt_rule_awards``
    rows but the receipt's id), for ``engine.ledger.receipts.record_receipt``."""
    local_day = calculator.sale.local(occurred_at).date()
    return [dict(member_id=member_pk, rule_version_id=calculator.version_ids.get((award.rule_key, award.version)),
                 rule_key=award.rule_key, campaign_code=award.campaign, local_date=local_day, desired=award.desired,
                 applied=award.applied, capped_by=award.capped_by,
                 line_points=[[line_no, points] for line_no, points in award.lines if points])
            for award in evaluation.awards]


def replacements(session: Session, draft_keys: tuple[str, ...] = (),
                 rules: tuple[Rule, ...] = ()) -> dict[str, tuple[Rule, int | None]]:
    """The drafts of ``draft_keys`` and the unsaved ``rules`` (version None), by rule key;
    refuses a key without a draft."""
    found: dict[str, tuple[Rule, int | None]] = {}
    for key in draft_keys:
        row = session.scalar(sa.select(RuleVersionRow).where(RuleVersionRow.rule_key == key,
                                                             RuleVersionRow.status == "draft"))
        if row is None:
            raise InvalidInput([Problem("draft_keys", f"rule {key!r} has no draft")])
        found[key] = (rule_from_dict(row.definition), row.version)
    for rule in rules:
        found[rule.key] = (rule, None)
    return found


def with_overlay(published: CompiledRuleSet, overlay: dict[str, tuple[Rule, int | None]]) -> CompiledRuleSet:
    """``published`` with ``overlay``'s rules in place of the published versions of their keys."""
    if not overlay:
        return published
    kept = [(rule, version) for rule, version in published.definitions if rule.key not in overlay]
    return CompiledRuleSet(kept + list(overlay.values()))


def simulate(db: Database, basket: Basket, *, now: datetime, member_id: str | None = None,
             member: MemberFacts | None = None, draft_keys: tuple[str, ...] = (),
             rules: tuple[Rule, ...] = ()) -> Evaluation:
    """What ``basket`` would earn (nothing is posted). Name the member by ``member_id`` or
    describe one with ``member``; drafts and unsaved ``rules`` replace published versions of
    the same keys (version ``None`` in the breakdown for unsaved rules). The sale may lie in
    the future (the rules in force then apply, the member's facts as they are now)."""
    problems = []
    if (member_id is None) == (member is None):
        problems.append(Problem("member", "name a member (member_id) or describe one (member): exactly one of them"))
    for index, rule in enumerate(rules):
        problems += [Problem(f"rules[{index}].{p.field}", p.message) for p in validate_rule(rule)]
    refuse_if(problems)
    with db.transaction() as session:
        settings = read_settings(session)
        # a marketer tries next Saturday's sale too: a simulation's sale may lie ahead
        basket_problems = [p for p in validate_basket(basket, settings, now=now) if p.field != "member"
                           and not (p.field == "occurred_at" and p.message == FUTURE_SALE)]
        refuse_if(basket_problems)
        store = programme(session).stores.get(basket.store_code)
        if store is None:
            raise not_found("store", basket.store_code)
        member_row = None
        if member_id is not None:
            member_row = session.scalar(sa.select(MemberRow).where(MemberRow.public_id == member_id))
            if member_row is None:
                raise not_found("member", member_id)
            member = member_facts(session, member_row)
        else:
            member = replace(member, tier_multiplier=tier_multiplier(session, member.tier_code))
        published, ids = compiled_in_force(session, basket.occurred_at)
        rule_set = with_overlay(published, replacements(session, draft_keys, rules))
        sale = sale_facts(store, basket.channel)
        usage = usage_for(session, member_row, member, rule_set, sale.local(basket.occurred_at).date(),
                             basket.occurred_at, with_budgets=True)
        calculator = RulesCalculator(rule_set, sale=sale, member=member, usage=usage, version_ids=ids)
        evaluation = calculator.evaluate(basket, EarningContext(settings=settings, as_of=now))
        refuse_if(sale_points_problems(evaluation.points))
        return evaluation

