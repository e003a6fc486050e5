"""Audiences: the members of a segment who may be contacted about offers, and where.

Guarantees: only active members who gave the channel's consent (``marketing_email`` for
``email``, ``marketing_sms`` for ``sms``) and have the address the channel needs are listed,
with that address; a consent withdrawn (in the portal, by support, or by closing the
account) takes the member out of the next list at once. Pages follow the member id (each
starts after the last id of the one before), so reading a segment of any size page by page
costs the same per page and holds each member once.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from engine.csv_files import csv_chunks
from engine.database import Database
from engine.errors import Problem, not_found, refuse_if
from engine.orm.members import MemberProfileRow, MemberRow
from engine.orm.rules import SegmentRow
from engine.rules.segments import segment_member_ids

# channel -> (the consent it needs, the profile's address for it)
CHANNELS = {"email": (MemberProfileRow.consent_marketing_email, MemberProfileRow.email),
            "sms": (MemberProfileRow.consent_marketing_sms, MemberProfileRow.phone)}
MAX_PAGE = 1000


@dataclass(frozen=True)
class Contact:
    member_id: str
    full_name: str
    address: str  # the e-mail address or the phone number


def segment_audience(db: Database, code: str, *, channel: str, limit: int = MAX_PAGE,
                     after: str | None = None) -> list[Contact]:
    """One page of the segment's members who may be contacted on ``channel``: the first
    ``limit`` by member id, after the member id ``after`` (the last of the page before)."""
    problems = []
    if channel not in CHANNELS:
        problems.append(Problem("channel", f"must be one of {', '.join(CHANNELS)}"))
    if not 1 <= limit <= MAX_PAGE:
        problems.append(Problem("limit", f"must be from 1 to {MAX_PAGE}"))
    if after is not None and not (isinstance(after, str) and 0 < len(after) <= 20):
        problems.append(Problem("after", "must be a member id"))
    refuse_if(problems)
    consent, address = CHANNELS[channel]
    with db.transaction() as session:
        segment = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == code))
        if segment is None:
            raise not_found("segment", code)
        query = (sa.select(MemberRow.public_id, MemberProfileRow.full_name, address)
                 .join(MemberProfileRow, MemberProfileRow.member_id == MemberRow.id)
                 .where(MemberRow.id.in_(segment_member_ids(segment)), MemberRow.status == "active",
                        consent.is_(True), address.is_not(None))
                 .order_by(MemberRow.public_id).limit(limit))
        if after is not None:
            query = query.where(MemberRow.public_id > after)
        return [Contact(*row) for row in session.execute(query)]


def every_contact(db: Database, code: str, *, channel: str):
    """The whole audience, page by page (for a file of any size)."""
    after = None
    while page := segment_audience(db, code, channel=channel, after=after):
        yield from page
        after = page[-1].member_id


AUDIENCE_COLUMNS = ("member_id", "full_name", "address")


def audience_csv(db: Database, code: str, *, channel: str) -> Iterator[str]:
    """The whole audience as CSV text (``AUDIENCE_COLUMNS``), in pieces, read page by page:
    for a file or a streamed download of any size, safe to open in a spreadsheet."""
    return csv_chunks(AUDIENCE_COLUMNS, ((c.member_id, c.full_name, c.address)
                                         for c in every_contact(db, code, channel=channel)))
