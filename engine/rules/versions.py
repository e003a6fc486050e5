"""The lifecycle of rules: draft → published → superseded / retired.

Guarantees:
- a draft is saved only when its definition is valid (``InvalidInput`` lists every
  problem); a rule key has at most one draft, saving again replaces it (except as a new
  rule: a key with any version is then refused, ``duplicate_rule``);
- ``publish_rules`` publishes the drafts of several rules in one transaction: all or none.
  Each published version is immutable (its definition and digest are never updated); the
  version it replaces stops being in force at the publishing instant; what a published rule
  names (campaign, tiers, stores, segments) exists when it is published or rolled back, and a
  tier ladder defined at the same instant takes turns with it (``define_tiers`` keeps a tier
  a rule in force names);
- a sale at instant ``t`` is evaluated with exactly the versions with
  ``published_at <= t < valid_until`` (sale time, not arrival time, decides);
- retiring ends the current version; rolling back publishes an earlier version's
  definition again as a new version (history is never rewritten), numbered after a pending
  draft, which it leaves as it was.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unique, unknown_codes
from engine.errors import Conflict, InvalidState, NotFound, Problem, refuse_if
from engine.orm.rules import CampaignRow, RuleVersionRow, SegmentRow
from engine.orm.stores import StoreRow
from engine.orm.tiers import TierRow
from engine.plain import canonical_json
from engine.rules.model import Rule, rule_from_dict, rule_to_dict
from engine.rules.validation import validate_rule
from engine.snapshot import lock_programme


@dataclass(frozen=True)
class RuleVersion:
    rule_key: str
    version: int
    status: str
    definition: dict
    created_at: datetime
    published_at: datetime | None
    valid_until: datetime | None


def validate_definition(definition: dict) -> list[Problem]:
    """Every problem with a rule definition in its JSON form (nothing is saved)."""
    if not isinstance(definition, dict):
        return [Problem("", "a rule definition is an object")]
    return validate_rule(rule_from_dict(definition))


def create_draft(db: Database, definition: dict, *, now: datetime, actor: str | None = None,
                 new_rule: bool = False) -> RuleVersion:
    """Save ``definition`` as the draft of its rule key (replacing an earlier draft). With
    ``new_rule`` (a form for a new rule), a key that has any version already, a draft
    included, is refused (``duplicate_rule``) and nothing is saved: a new rule never
    replaces another rule's draft or follows its published versions."""
    refuse_if(validate_definition(definition))
    with db.transaction() as session:
        if new_rule:
            _refuse_taken_key(session, definition["key"])
        return _version(_save_draft(session, definition, now, actor))


def _refuse_taken_key(session: Session, rule_key: str) -> None:
    taken = session.scalar(sa.select(RuleVersionRow).where(RuleVersionRow.rule_key == rule_key)
                           .order_by(RuleVersionRow.version.desc()).limit(1))
    if taken is not None:
        what = (f"a draft, version {taken.version}" if taken.status == "draft"
                else f"version {taken.version}, {taken.status}")
        raise Conflict(f"rule {rule_key!r} exists already ({what}): change it with its edit form, or give the new "
                       "rule another key", code="duplicate_rule")


def publish_rules(db: Database, rule_keys: list[str], *, now: datetime, actor: str | None = None) -> list[RuleVersion]:
    """Publish the drafts of ``rule_keys`` together (all or none); returns the new versions."""
    with db.transaction() as session:
        return [_version(d) for d in _publish(session, rule_keys, now, actor, field="keys")]


def import_definitions(db: Database, definitions: list[dict], *, publish: bool, now: datetime,
                       actor: str | None = None) -> list[RuleVersion]:
    """Save every definition as a draft and, with ``publish``, publish them all, in one
    transaction: when any definition is invalid (every problem is listed, prefixed with its
    index) or cannot be published, nothing is saved."""
    problems, first_of_key = [], {}
    for index, definition in enumerate(definitions):
        problems += [Problem(f"rules[{index}].{p.field}".rstrip("."), p.message)
                     for p in validate_definition(definition)]
        key = definition.get("key") if isinstance(definition, dict) else None
        if isinstance(key, str) and first_of_key.setdefault(key, index) != index:  # (one would silently win)
            problems.append(Problem(f"rules[{index}].key",
                                    f"rule {key!r} is given twice (also rules[{first_of_key[key]}])"))
    refuse_if(problems)
    with db.transaction() as session:
        drafts = [_save_draft(session, definition, now, actor) for definition in definitions]
        if publish:
            drafts = _publish(session, [d.rule_key for d in drafts], now, actor, field="rules")
        return [_version(d) for d in drafts]


def definitions_in_force(db: Database, *, at: datetime, drafts: bool = False) -> list[dict]:
    """The definitions of the versions in force at ``at`` (or of the drafts), by rule key:
    what ``import_definitions`` takes to reproduce the programme elsewhere."""
    with db.transaction() as session:
        query = sa.select(RuleVersionRow.definition).order_by(RuleVersionRow.rule_key)
        if drafts:
            query = query.where(RuleVersionRow.status == "draft")
        else:
            query = query.where(RuleVersionRow.published_at <= at, RuleVersionRow.status != "draft",
                                sa.or_(RuleVersionRow.valid_until.is_(None), RuleVersionRow.valid_until > at))
        return list(session.scalars(query))


def _save_draft(session: Session, definition: dict, now: datetime, actor: str | None) -> RuleVersionRow:
    rule = rule_from_dict(definition)
    canonical = rule_to_dict(rule)
    draft = session.scalar(sa.select(RuleVersionRow).where(
        RuleVersionRow.rule_key == rule.key, RuleVersionRow.status == "draft"))
    if draft is None:
        latest = session.scalar(sa.select(sa.func.max(RuleVersionRow.version))
                                .where(RuleVersionRow.rule_key == rule.key)) or 0
        draft = RuleVersionRow(rule_key=rule.key, version=latest + 1, status="draft", created_at=now)
    draft.definition, draft.digest, draft.actor = canonical, _digest(canonical), actor
    insert_unique(session, draft, _changed_meanwhile(rule.key))
    return draft


def _changed_meanwhile(rule_key: str) -> Conflict:
    """The refusal when a new version's number was taken by a concurrent request (the same
    form sent twice at once)."""
    return Conflict(f"rule {rule_key!r} was changed by another request at the same moment; look at its "
                    "versions and try again", code="rule_changed")


def _publish(session: Session, rule_keys: list[str], now: datetime, actor: str | None, *,
             field: str) -> list[RuleVersionRow]:
    """Publish the drafts of ``rule_keys``; a problem names the key's place in the request's
    ``field`` (``keys[1]``, ``rules[0]``)."""
    drafts = []
    problems = []
    for index, key in enumerate(dict.fromkeys(rule_keys)):
        draft = session.scalar(sa.select(RuleVersionRow).where(
            RuleVersionRow.rule_key == key, RuleVersionRow.status == "draft").with_for_update())
        if draft is None:
            problems.append(Problem(f"{field}[{index}]", f"rule {key!r} has no draft to publish"))
            continue
        drafts.append((index, draft))
    # what the drafts name stays as checked below: a tier ladder defined at the same instant waits,
    # then sees these rules naming its tiers (or this waits for it); after the drafts' rows, in
    # the order a draft's save takes them (its row, then the revision its trigger moves)
    lock_programme(session)
    for index, draft in drafts:
        problems += _reference_problems(session, rule_from_dict(draft.definition), f"{field}[{index}]")
    refuse_if(problems)
    drafts = [draft for _, draft in drafts]
    for draft in drafts:
        _end_current(session, draft.rule_key, now, "superseded")
        draft.status, draft.published_at, draft.actor = "published", now, actor or draft.actor
    session.flush()
    return drafts


def retire_rule(db: Database, rule_key: str, *, now: datetime) -> RuleVersion:
    """End the rule's version in force at ``now``; sales from ``now`` on no longer use it."""
    with db.transaction() as session:
        ended = _end_current(session, rule_key, now, "retired")
        if ended is None:
            raise InvalidState(f"rule {rule_key!r} has no published version in force", code="rule_not_published")
        return _version(ended)


def rollback_rule(db: Database, rule_key: str, version: int, *, now: datetime,
                  actor: str | None = None) -> RuleVersion:
    """Publish the definition of an earlier ``version`` again, as a new version numbered after
    every version of the rule, its pending draft included: the draft stays as it was (its
    number, definition and author), and publishing it later replaces the rolled-back version."""
    with db.transaction() as session:
        old = session.scalar(sa.select(RuleVersionRow).where(
            RuleVersionRow.rule_key == rule_key, RuleVersionRow.version == version,
            RuleVersionRow.status != "draft"))
        if old is None:
            raise NotFound(f"rule {rule_key!r} has no published version {version}", code="unknown_rule_version")
        lock_programme(session)  # as publishing: what the version names stays as checked
        refuse_if(_reference_problems(session, rule_from_dict(old.definition), "version"))
        latest = session.scalar(sa.select(sa.func.max(RuleVersionRow.version)).where(
            RuleVersionRow.rule_key == rule_key))
        _end_current(session, rule_key, now, "superseded")
        row = RuleVersionRow(rule_key=rule_key, version=latest + 1, status="published", definition=old.definition,
                             digest=old.digest, created_at=now, published_at=now, actor=actor)
        insert_unique(session, row, _changed_meanwhile(rule_key))
        return _version(row)


def list_versions(db: Database, rule_key: str | None = None, *, limit: int | None = None,
                  offset: int = 0) -> list[RuleVersion]:
    """Every version (drafts included) of one rule or of all rules, by key and version; a page
    of them with ``limit`` and ``offset``."""
    with db.transaction() as session:
        query = sa.select(RuleVersionRow).order_by(RuleVersionRow.rule_key, RuleVersionRow.version) \
            .limit(limit).offset(offset)
        if rule_key is not None:
            query = query.where(RuleVersionRow.rule_key == rule_key)
        return [_version(row) for row in session.scalars(query)]


def get_draft(db: Database, rule_key: str) -> Rule:
    """The draft of ``rule_key`` as a rule (to simulate it before publishing)."""
    with db.transaction() as session:
        row = session.scalar(sa.select(RuleVersionRow).where(
            RuleVersionRow.rule_key == rule_key, RuleVersionRow.status == "draft"))
        if row is None:
            raise NotFound(f"rule {rule_key!r} has no draft", code="unknown_rule_draft")
        return rule_from_dict(row.definition)


def _end_current(session: Session, rule_key: str, now: datetime, status: str) -> RuleVersionRow | None:
    current = session.scalar(sa.select(RuleVersionRow).where(
        RuleVersionRow.rule_key == rule_key, RuleVersionRow.status == "published",
        RuleVersionRow.valid_until.is_(None)).with_for_update())
    if current is not None:
        current.valid_until, current.status = max(now, current.published_at), status
    return current


# the conditions whose values name the programme's own things (codes, case and all: a rule
# for "gold" where the tier is GOLD would never match, and no one would notice)
_NAMED = {"tier": (TierRow.code, "tier"), "store": (StoreRow.code, "store"), "segment": (SegmentRow.code, "segment")}


def rules_naming(session: Session, kind: str, now: datetime) -> dict[str, set[str]]:
    """The codes that rule versions in force or still to come at ``now`` name in their
    ``kind`` conditions (``tier``, ``store``, ``segment``), each with the keys of those rules:
    what must stay for the rules to match, be rolled back or be imported again."""
    named: dict[str, set[str]] = {}
    for definition in session.scalars(sa.select(RuleVersionRow.definition).where(
            RuleVersionRow.status != "draft",
            sa.or_(RuleVersionRow.valid_until.is_(None), RuleVersionRow.valid_until > now))):
        rule = rule_from_dict(definition)
        for condition in rule.conditions:
            if condition.kind == kind:
                for code in condition.values:
                    named.setdefault(code, set()).add(rule.key)
    return named


def _reference_problems(session: Session, rule: Rule, where: str) -> list[Problem]:
    """What the rule names that the programme does not have: its campaign, and the tiers,
    stores and segments its conditions list."""
    problems = []
    if rule.campaign is not None and session.scalar(
            sa.select(CampaignRow.id).where(CampaignRow.code == rule.campaign)) is None:
        problems.append(Problem(where, f"rule {rule.key!r} names unknown campaign {rule.campaign!r}"))
    for condition in rule.conditions:
        if condition.kind not in _NAMED:
            continue
        column, what = _NAMED[condition.kind]
        unknown = unknown_codes(session, column, condition.values)
        if unknown:
            problems.append(Problem(where, f"rule {rule.key!r} names unknown {what} "
                                           f"{', '.join(map(repr, unknown))} (codes are case-sensitive)"))
    return problems


def _digest(definition: dict) -> str:
    return hashlib.sha256(canonical_json(definition).encode()).hexdigest()


def _version(row: RuleVersionRow) -> RuleVersion:
    return RuleVersion(row.rule_key, row.version, row.status, row.definition, row.created_at, row.published_at,
                       row.valid_until)
