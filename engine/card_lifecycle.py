"""Card kinds, statuses and the transitions between them.

Pure code. A card is issued to a member (personalised, not yet usable), activated, may be
blocked (lost, stolen: with a reason) and unblocked, replaced by a new card (the balance
belongs to the member, so it follows), or retired. ``replaced`` and ``retired`` are final.
"""
from __future__ import annotations

CARD_KINDS = ("applet", "uid")
CARD_STATUSES = ("issued", "active", "blocked", "replaced", "retired")
FINAL_STATUSES = frozenset({"replaced", "retired"})

# action -> statuses it may start from, and the status it leads to
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({"issued"}), "active"),
    # (an issued card is not usable yet: a lost one is retired or replaced; blocked, an unblock
    # would make it active without the activation that proves it was written right)
    "block": (frozenset({"active"}), "blocked"),
    "unblock": (frozenset({"blocked"}), "active"),
    "replace": (frozenset({"issued", "active", "blocked"}), "replaced"),
    "retire": (frozenset({"issued", "active", "blocked"}), "retired"),
}


def transition_refusal(action: str, status: str) -> str | None:
    """Why ``action`` cannot be applied to a card in ``status``, or ``None`` if it can."""
    allowed_from, _ = TRANSITIONS[action]
    if status in allowed_from:
        return None
    if status in FINAL_STATUSES:
        return f"the card is {status}; a {status} card cannot be changed any more"
    if (action, status) == ("block", "issued"):
        return "the card is not activated yet, so it cannot be used: retire or replace it instead of blocking it"
    return f"a card that is {status} cannot be {past_tense(action)}"


def status_after(action: str) -> str:
    """The status a card has after ``action`` (which must be allowed)."""
    return TRANSITIONS[action][1]


def past_tense(action: str) -> str:
    """How ``action`` reads once done: "activated", "blocked", ..."""
    return {"activate": "activated", "block": "blocked", "unblock": "unblocked",
            "replace": "replaced", "retire": "retired"}[action]
