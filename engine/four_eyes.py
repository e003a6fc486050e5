"""Requests one person makes and another decides: adjustments above the threshold, points
grants, member imports.

Guarantees: :func:`pending_to_decide` hands a decision the request's row locked (so two
deciders take turns and the second finds it decided), and refuses a decider without a name
(or one longer than the request keeps), an unknown request, one decided already, and a
decision by the person who asked (``four_eyes_required``), whatever spaces pad either name.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import InvalidState, NotAllowed, Problem, not_found, refuse_if


def pending_to_decide(session: Session, row_type, public_id: str, actor: str, *, name: str, asked_for: str,
                      code: str, longest_actor: int):
    """The pending request ``public_id`` (a row of ``row_type``, which has ``public_id``,
    ``status`` and ``requested_by``), locked for ``actor``'s decision (at most
    ``longest_actor`` characters, what its ``decided_by`` keeps). ``name`` names the kind in
    messages ("points grant"), ``asked_for`` what was asked for ("a grant"), ``code``
    prefixes the refusal of a request decided already (``grant_already_decided``)."""
    if not (isinstance(actor, str) and 0 < len(actor.strip()) <= longest_actor):
        refuse_if([Problem("actor", f"is required, at most {longest_actor} characters")])
    row = session.scalar(sa.select(row_type).where(row_type.public_id == public_id).with_for_update())
    if row is None:
        raise not_found(name, public_id)
    if row.status != "pending":
        raise InvalidState(f"{name} {row.public_id} was already {row.status}", code=f"{code}_already_decided")
    if row.requested_by.strip() == actor.strip():
        raise NotAllowed(f"the person who asked for {asked_for} cannot approve or reject it",
                         code="four_eyes_required")
    return row
