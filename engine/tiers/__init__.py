"""Tiers: members climb by what they earn in a window, upgrade at once, fall at most one
step at review (after an optional grace period), or are assigned a tier by hand.

Modules: ``policy`` (pure: qualification, review outcome, windows, review dates) and
``service`` (definitions, manual assignment, progress, the accrual hook and the
set-based review job). ``members.tier_code`` is the cached current tier that the earning
rules read; ``member_tiers`` holds each member's state and ``tier_changes`` the history.
"""
