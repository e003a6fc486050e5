"""What one rule version gave a sale: the record an accrual keeps and explains.

Kept apart from ``outcome`` (which runs compiled, see ``engine.native``) so that it stays a plain
dataclass whose annotations ``engine.plain`` reads to rebuild stored answers.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: built for every rule that fires, and frozen init is slow
class RuleAward:
    """What one rule version gave: ``desired`` before its limits, ``applied`` after, and the
    applied points per line as ``(line_no, points)``. ``capped_by`` names the limit that cut."""

    rule_key: str
    version: int | None
    campaign: str | None
    desired: int
    applied: int
    lines: tuple[tuple[int, int], ...]
    capped_by: str | None = None
