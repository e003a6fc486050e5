"""Whole-point arithmetic: splitting, proportional shares and taking from lots.

Pure functions. Points are integers everywhere; every split here adds up exactly to what
was split, so nothing is created or lost by rounding.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction


def split_proportionally(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; ties go to the
    earlier weight). The parts always sum to ``total``; a zero weight gets zero."""
    if total < 0:
        raise ValueError("only non-negative totals are split")
    whole = sum(weights)
    if whole == 0 or total == 0:
        return [0] * len(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    parts = [int(e) for e in exact]
    short = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:short]:
        parts[i] += 1
    return parts


def share_so_far(total: int, part: Decimal | int, whole: Decimal | int) -> int:
    """floor(total × part / whole): the share of ``total`` belonging to ``part`` of ``whole``.

    Used cumulatively (share of everything returned so far, minus what was already given),
    so that returning a purchase in pieces ends exactly at ``total``.
    """
    if whole == 0:
        return 0
    return int(Fraction(total) * Fraction(part) / Fraction(whole))


def take_in_order(free_by_lot: Iterable[tuple[int, int]], amount: int) -> list[tuple[int, int]]:
    """Take ``amount`` from lots in the order given: ``(lot_id, free)`` -> ``(lot_id, taken)``.

    Takes as much as the lots have if that is less than ``amount``; the caller compares.
    """
    taken = []
    for lot_id, free in free_by_lot:
        if amount <= 0:
            break
        take = min(free, amount)
        if take > 0:
            taken.append((lot_id, take))
            amount -= take
    return taken
