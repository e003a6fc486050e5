"""Segments: named sets of members, either uploaded lists or predicates over the member's
tier and attributes; and member attributes (name → value) that rules and segments read.

Guarantees: a list segment holds exactly the members uploaded last (an upload replaces the
list); a predicate segment holds the members whose tier is one of ``tier`` (when given)
and whose every named attribute has one of the listed values. A predicate may be changed,
and a segment removed unless a rule in force or still to come, a campaign or a points grant
names it; both take turns with publishing rules, and either moves the segment's revision
(a grant asked for before is then approved for no one). One member is judged in
Python (:func:`predicate_holds`, for accruals); all members at once in SQL
(:func:`segment_member_ids`, for counts and reports); a test holds the two in agreement.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unique, unknown_codes
from engine.errors import Conflict, InvalidState, Problem, not_found, refuse_if
from engine.members import member_row
from engine.orm.members import MemberRow
from engine.orm.ledger import PointsGrantRow
from engine.orm.rules import CampaignRow, MemberAttributeRow, SegmentMemberRow, SegmentRow
from engine.orm.tiers import TierRow
from engine.rules.validation import KEY, is_attribute_name, is_attribute_value
from engine.rules.versions import rules_naming
from engine.snapshot import lock_programme, programme


@dataclass(frozen=True)
class Segment:
    """A segment as staff see it: its definition and how many members it holds now."""

    code: str
    kind: str  # "list" or "predicate"
    predicate: dict | None
    members: int  # now


def list_segments(db: Database) -> list[Segment]:
    """Every segment by code, with how many members it holds now."""
    with db.transaction() as session:
        rows = session.scalars(sa.select(SegmentRow).order_by(SegmentRow.code)).all()
        return [Segment(row.code, row.kind, row.definition, _size(session, row)) for row in rows]


def get_segment(db: Database, code: str) -> Segment:
    """One segment with how many members it holds now (``NotFound`` for an unknown code)."""
    with db.transaction() as session:
        row = _segment(session, code)
        return Segment(row.code, row.kind, row.definition, _size(session, row))


def segment_member_ids(segment: SegmentRow) -> sa.Select:
    """The ids (``members.id``) of the segment's members now, as one SQL query: the uploaded
    rows of a list; for a predicate, the members whose tier and attributes meet it."""
    if segment.kind == "list":
        return sa.select(SegmentMemberRow.member_id).where(SegmentMemberRow.segment_id == segment.id)
    definition = segment.definition or {}
    query = sa.select(MemberRow.id)
    if definition.get("tier") is not None:
        query = query.where(MemberRow.tier_code.in_(definition["tier"]))
    for name, values in (definition.get("attributes") or {}).items():
        query = query.where(sa.exists().where(MemberAttributeRow.member_id == MemberRow.id,
                                              MemberAttributeRow.name == name, MemberAttributeRow.value.in_(values)))
    return query


def create_segment(db: Database, *, code: str, now, predicate: dict | None = None,
                   member_ids: list[str] | None = None) -> int:
    """Create a predicate segment (``predicate``) or a list segment (``member_ids``, public ids);
    returns how many members it holds now (a predicate's, counted as ``list_segments`` counts
    them). A predicate
    naming a tier the programme does not have (codes are case-sensitive) is refused."""
    problems = []
    if not (isinstance(code, str) and KEY.match(code)):
        problems.append(Problem("code", "must be 1 to 64 lower-case letters, digits, '-' or '_'"))
    if (predicate is None) == (member_ids is None):
        problems.append(Problem("definition", "give exactly one of predicate and member_ids"))
    refuse_if(problems + (_predicate_problems(predicate) if predicate is not None else []))
    with db.transaction() as session:
        row = SegmentRow(code=code, kind="predicate" if predicate is not None else "list", definition=predicate,
                         created_at=now)
        insert_unique(session, row, Conflict(f"segment {code!r} already exists", code="duplicate_segment"))
        if member_ids is not None:
            return _upload(session, row, member_ids)
        refuse_if(_unknown_tiers(session, predicate))
        session.flush()
        return _size(session, row)


def change_segment(db: Database, code: str, *, predicate: dict) -> int:
    """Give a predicate segment a new predicate (checked as at creation); returns how many
    members it holds now. The rules, campaigns and grants naming the segment take its new
    members from then on; a grant asked for before the change is then approved for no one.
    An uploaded list changes by a new upload (:func:`upload_segment`), not here."""
    refuse_if(_predicate_problems(predicate))
    with db.transaction() as session:
        # the segment first, then the programme (as publishing: a rule's sale sees the old
        # predicate or the new): a campaign made for the segment reads it shared, then moves
        # the programme's revision, so the other order would deadlock with it
        row = _segment(session, code, lock=True)
        lock_programme(session)
        if row.kind != "predicate":
            raise InvalidState(f"segment {code!r} is an uploaded list: upload its members again instead",
                               code="segment_is_a_list")
        refuse_if(_unknown_tiers(session, predicate))
        if row.definition != predicate:
            row.definition, row.revision = predicate, row.revision + 1
        session.flush()
        return _size(session, row)


def remove_segment(db: Database, code: str, *, now) -> None:
    """Remove a segment (and an uploaded list's members). Refused, with every reason, while a
    rule version in force or still to come at ``now`` names it (the rule would match no one,
    and could not be rolled back or imported again), a campaign targets it (its lift report
    reads the segment), or a points grant was asked for it (the grant's record names it)."""
    with db.transaction() as session:
        row = _segment(session, code, lock=True)  # first, as in change_segment
        lock_programme(session)  # a rule published at the same time sees it or is refused
        problems = []
        keys = rules_naming(session, "segment", now).get(code)
        if keys:
            problems.append(Problem("code", f"segment {code} is named by rules {', '.join(sorted(keys))}; "
                                            "retire or change them first"))
        targeting = session.scalars(sa.select(CampaignRow.code).where(CampaignRow.segment_code == code)
                                    .order_by(CampaignRow.code)).all()
        if targeting:
            problems.append(Problem("code", f"segment {code} is targeted by campaigns {', '.join(targeting)}, "
                                            "whose reports read it"))
        if session.scalar(sa.select(PointsGrantRow.id).where(PointsGrantRow.segment_id == row.id).limit(1)):
            problems.append(Problem("code", f"points grants were asked for segment {code}; their record names it"))
        refuse_if(problems)
        session.execute(sa.delete(SegmentMemberRow).where(SegmentMemberRow.segment_id == row.id))
        session.delete(row)


def upload_segment(db: Database, code: str, member_ids: list[str]) -> int:
    """Replace a list segment's members; returns how many it holds."""
    with db.transaction() as session:
        # locked: two uploads take turns, so the later one replaces what the earlier one wrote
        row = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == code, SegmentRow.kind == "list")
                             .with_for_update())
        if row is None:
            raise not_found("list segment", code)
        session.execute(sa.delete(SegmentMemberRow).where(SegmentMemberRow.segment_id == row.id))
        row.revision += 1
        return _upload(session, row, member_ids)


def set_member_attribute(db: Database, member_id: str, name: str, value: str) -> None:
    """Set (or replace) one attribute of a member."""
    change_member_attributes(db, member_id, to_set={name: value})


def remove_member_attribute(db: Database, member_id: str, name: str) -> None:
    """Remove one attribute of a member (nothing to do when the member has none by that name)."""
    change_member_attributes(db, member_id, to_remove=[name])


def change_member_attributes(db: Database, member_id: str, *, to_set: dict[str, str] | None = None,
                             to_remove: list[str] | None = None) -> None:
    """Set (or replace) the attributes in ``to_set`` and remove those in ``to_remove``, all or
    none (removals after the sets): one invalid name or value refuses the whole change with
    every problem found."""
    to_set, to_remove = to_set or {}, to_remove or []
    problems = []
    for name, value in to_set.items():
        if not is_attribute_name(name):
            problems.append(Problem("name", f"{name!r} must be 1 to 64 characters, without '/', and not '.' or '..'"))
        if not is_attribute_value(value):
            problems.append(Problem("value", f"{name!r} must be a text of up to 200 characters"))
    refuse_if(problems)
    with db.transaction() as session:
        # two changes of one member take turns: each sees the rows the other inserted
        member = member_row(session, member_id, lock=True, to_change=True)
        for name, value in to_set.items():
            row = session.get(MemberAttributeRow, (member.id, name))
            if row is None:
                session.add(MemberAttributeRow(member_id=member.id, name=name, value=value))
            else:
                row.value = value
        if to_remove:
            session.flush()
            session.execute(sa.delete(MemberAttributeRow).where(MemberAttributeRow.member_id == member.id,
                                                                MemberAttributeRow.name.in_(to_remove)))


def member_attributes(db: Database, member_id: str) -> dict[str, str]:
    """A member's attributes by name (in name order)."""
    with db.transaction() as session:
        return _attributes(session, member_row(session, member_id))


def member_segments(db: Database, member_id: str) -> list[str]:
    """The codes of every segment a member is in now (uploaded lists and predicates), in order."""
    with db.transaction() as session:
        member = member_row(session, member_id)
        listed = set(session.scalars(sa.select(SegmentRow.code).join(
            SegmentMemberRow, SegmentMemberRow.segment_id == SegmentRow.id).where(SegmentMemberRow.member_id == member.id)))
        return sorted(with_predicate_segments(session, listed, member.tier_code, _attributes(session, member)))


def with_predicate_segments(session: Session, listed: set[str], tier_code: str | None,
                            attributes: dict[str, str]) -> frozenset[str]:
    """Codes of every segment a member is in: the ``listed`` ones (uploaded lists naming the
    member) and the predicate segments whose predicate the member's tier and attributes meet."""
    return frozenset(listed | {code for code, definition in programme(session).predicate_segments
                               if predicate_holds(definition, tier_code, attributes)})


def predicate_holds(definition: dict, tier_code: str | None, attributes: dict[str, str]) -> bool:
    """Whether a member with ``tier_code`` and ``attributes`` is in a predicate segment."""
    tiers = definition.get("tier")
    if tiers is not None and tier_code not in tiers:
        return False
    return all(attributes.get(name) in values for name, values in (definition.get("attributes") or {}).items())


def _predicate_problems(predicate) -> list[Problem]:
    if _predicate_ok(predicate):
        return []
    return [Problem("predicate", 'must look like {"tier": [codes], "attributes": {name: [values]}}, '
                                 "with names of 1 to 64 characters (no '/') and values of up to 200")]


def _predicate_ok(predicate) -> bool:
    if not isinstance(predicate, dict) or not predicate or set(predicate) - {"tier", "attributes"}:
        return False
    tiers, attributes = predicate.get("tier"), predicate.get("attributes")
    return ((tiers is None or (isinstance(tiers, list) and all(isinstance(t, str) and 0 < len(t) <= 32
                                                               for t in tiers)))
            and (attributes is None or (isinstance(attributes, dict) and all(
                is_attribute_name(name) and isinstance(v, list) and 0 < len(v) <= 1000
                and all(is_attribute_value(x) for x in v) for name, v in attributes.items()))))


def _unknown_tiers(session: Session, predicate: dict) -> list[Problem]:
    # as a rule's tier condition: a code the programme has not, "gold" where the tier is GOLD,
    # would make a segment no member can ever be in (a tier dropped later, which a segment
    # does not prevent, leaves its other tiers matching)
    if predicate.get("tier") is None:
        return []
    unknown = unknown_codes(session, TierRow.code, predicate["tier"])
    return [Problem("predicate.tier", f"names unknown tier {', '.join(map(repr, unknown))} "
                                      "(codes are case-sensitive)")] if unknown else []


def _segment(session: Session, code: str, *, lock: bool = False) -> SegmentRow:
    query = sa.select(SegmentRow).where(SegmentRow.code == code)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise not_found("segment", code)
    return row


def _size(session: Session, row: SegmentRow) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(segment_member_ids(row).subquery()))


def _upload(session: Session, row: SegmentRow, member_ids: list[str]) -> int:
    wanted = set(member_ids)
    found = dict(session.execute(sa.select(MemberRow.public_id, MemberRow.id).where(MemberRow.public_id.in_(wanted))).all())
    refuse_if([Problem("member_ids", f"unknown member {m!r}") for m in sorted(wanted - set(found))])
    session.add_all(SegmentMemberRow(segment_id=row.id, member_id=i) for i in found.values())
    session.flush()
    return len(found)


def _attributes(session: Session, member: MemberRow) -> dict[str, str]:
    return dict(session.execute(sa.select(MemberAttributeRow.name, MemberAttributeRow.value)
                                .where(MemberAttributeRow.member_id == member.id).order_by(MemberAttributeRow.name)).all())
