"""What one rule version gave a sale: the record an accrual keeps and explains.

Settling builds one for every rule that fires, so this module runs compiled with the rules
(``engine.native``). Its ``__init__`` is written out because the one ``dataclass`` would
generate runs as Python even in a compiled class; the dataclass still gives equality, the
fields ``engine.plain`` stores answers by, and ``repr``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(init=False)
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

    def __init__(self, rule_key: str, version: int | None, campaign: str | None, desired: int, applied: int,
                 lines: tuple[tuple[int, int], ...], capped_by: str | None = None) -> None:
        self.rule_key, self.version, self.campaign = rule_key, version, campaign
        self.desired, self.applied, self.lines, self.capped_by = desired, applied, lines, capped_by
