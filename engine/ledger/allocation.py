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
    return largest_remainder(total, list(weights), whole)


def largest_remainder(total: int, weights: list[int], whole: int) -> list[int]:
    """``total × weight / whole`` for each of ``weights`` (non-negative, summing to
    ``whole`` > 0), rounded down, then one more point each to the largest remainders (ties to
    the earlier weight) until the parts sum to ``total``. Integers only: the remainders are
    compared as ``total × weight mod whole``, which orders them as the exact fractions would."""
    parts = [total * w // whole for w in weights]
    short = total - sum(parts)
    if short:
        count = len(parts)
        # each remainder with its place in one integer, ``remainder × count + (count - 1 - i)``:
        # sorted, they come by remainder and, for equal remainders, the earlier weight first
        keys = [total * w % whole * count + (count - 1 - i) for i, w in enumerate(weights)]
        keys.sort(reverse=True)
        for n in range(short):
            parts[count - 1 - keys[n] % count] += 1
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
