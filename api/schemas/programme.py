"""Shapes for the staff's view of the programme catalogue: the tier ladder and policy, tier
assignment, rewards and vouchers."""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema, Ratio
from api.schemas.ledger import Instant, _whole
from engine.tiers.policy import TierDefinition, TierPolicy


class TierSchema(InputSchema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    threshold = _whole(required=True, metadata={"description": "qualifying points needed in the window"})
    earn_multiplier = Ratio(load_default=Decimal(1))

    @ma.post_load
    def make_tier(self, data: dict, **_) -> TierDefinition:
        return TierDefinition(**data)


class TierPolicySchema(InputSchema):
    window = fields.String(load_default="calendar_year", metadata={"description": "calendar_year or rolling_months"})
    window_months = _whole(load_default=12)
    review = fields.String(load_default="calendar", metadata={"description": "calendar or anniversary"})
    grace_months = _whole(load_default=0)
    measure = fields.String(load_default="points", metadata={
        "description": "points (qualifying points earned) or spend (paid, less refunds, in minor units)"})

    @ma.post_load
    def make_policy(self, data: dict, **_) -> TierPolicy:
        return TierPolicy(**data)


class LadderSchema(InputSchema):
    """The tiers, lowest first (the lowest needs 0 points), and how members move between them."""

    tiers = fields.List(fields.Nested(TierSchema), required=True, validate=ma.validate.Length(1, 20))
    policy = fields.Nested(TierPolicySchema, load_default=TierPolicy,
                           metadata={"description": "omitted: calendar-year window, calendar review, no grace"})


class LadderOutSchema(ma.Schema):
    """The ladder as it stands: no tiers and a null policy before any are defined."""

    tiers = fields.List(fields.Nested(TierSchema), required=True)
    policy = fields.Nested(TierPolicySchema, required=True, allow_none=True)


class TierAssignmentSchema(InputSchema):
    tier_code = fields.String(required=True, validate=ma.validate.Length(1, 32))
    reason = fields.String(required=True, validate=ma.validate.Length(1, 200))
    keep_until = fields.Date(metadata={"description": "no review before the first regular one after this day "
                                                      "(an invited tier kept for a year, say)"})


class MemberTierSchema(ma.Schema):
    member_id = fields.String(required=True)
    tier_code = fields.String(required=True)
    since = fields.AwareDateTime(required=True)
    review_due_at = fields.AwareDateTime(required=True)
    grace_until = fields.AwareDateTime(allow_none=True)


class TierProgressSchema(ma.Schema):
    member_id = fields.String(required=True)
    tier_code = fields.String(required=True)
    qualifying_points = fields.Integer(required=True)
    window_start = fields.AwareDateTime(required=True)
    next_tier = fields.String(allow_none=True, metadata={"description": "null at the top tier"})
    needed = fields.Integer(allow_none=True, metadata={"description": "qualifying points still needed"})
    by = fields.AwareDateTime(required=True, metadata={"description": "the member's next tier review"})
    measure = fields.String(required=True, metadata={"description": "points, or spend in minor units"})
    to_keep = fields.Integer(allow_none=True, metadata={
        "description": "qualifying points (or spend) still needed by the review to keep the tier; null in the "
                       "lowest tier"})
    grace_until = fields.AwareDateTime(allow_none=True, metadata={
        "description": "in a grace period: the tier is kept until then whatever the points; else null"})


class TierChangeSchema(ma.Schema):
    at = fields.AwareDateTime(required=True)
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(required=True)
    reason = fields.String(required=True)
    note = fields.String(allow_none=True)


class MemberTierStandingSchema(ma.Schema):
    progress = fields.Nested(TierProgressSchema, required=True)
    history = fields.List(fields.Nested(TierChangeSchema), required=True)


class RewardInSchema(InputSchema):
    code = fields.String(required=True, validate=ma.validate.Length(1, 32))
    name = fields.String(required=True, validate=ma.validate.Length(1, 100))
    points_price = _whole(required=True)
    stock = _whole(load_default=None, allow_none=True, metadata={"description": "units; null: unlimited"})
    per_member_limit = _whole(load_default=None, allow_none=True)
    valid_from = Instant(load_default=None, allow_none=True, metadata={"description": "default: now"})
    valid_until = Instant(load_default=None, allow_none=True)
    tier_prices = fields.Dict(keys=fields.String(validate=ma.validate.Length(1, 32)), values=_whole(),
                              load_default=dict, metadata={"description": "a tier's own points price"})
    voucher_valid_days = fields.Integer(strict=True, load_default=None, allow_none=True, metadata={
        "description": "each voucher is usable this many days from its issue (1 to 3,650); null: without end"})
    tier_only = fields.Boolean(load_default=False, metadata={
        "description": "for the members of the tiers in tier_prices only (a Gold-only reward)"})


class RewardChangeSchema(InputSchema):
    name = fields.String(validate=ma.validate.Length(1, 100))
    points_price = _whole()
    restock = _whole(metadata={"description": "units added to a counted stock; negative: units written off"})
    per_member_limit = _whole()
    valid_until = Instant(metadata={
        "description": "a new end; now or earlier withdraws the reward (also one not started yet)"})
    tier_prices = fields.Dict(keys=fields.String(validate=ma.validate.Length(1, 32)), values=_whole(),
                              metadata={"description": "replace all tier prices ({} removes them)"})
    voucher_valid_days = fields.Integer(strict=True, metadata={
        "description": "days the next vouchers are usable (0 to 3,650; 0: without end); issued vouchers keep theirs"})
    tier_only = fields.Boolean(metadata={"description": "for the members of its tiers (tier_prices) only"})


class RewardListQuerySchema(InputSchema):
    all = fields.Boolean(load_default=False, metadata={
        "description": "also the rewards not in the catalogue now: scheduled, ended or withdrawn"})


class RewardSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    points_price = fields.Integer(required=True)
    stock = fields.Integer(allow_none=True)
    per_member_limit = fields.Integer(allow_none=True)
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(allow_none=True)
    tier_prices = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    price_for_member = fields.Integer(allow_none=True, metadata={"description": "with a member: their price"})
    voucher_valid_days = fields.Integer(allow_none=True, metadata={
        "description": "each voucher is usable this many days from its issue; null: without end"})
    tier_only = fields.Boolean(required=True, metadata={"description": "for the members of its tiers only"})


class VoucherSchema(ma.Schema):
    voucher_code = fields.String(required=True)
    reward_code = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "issued, used or cancelled"})
    issued_at = fields.AwareDateTime(required=True)
    used_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True, metadata={"description": "not usable from then on; null: never"})


class VoucherIssuedSchema(ma.Schema):
    voucher_code = fields.String(required=True, metadata={"description": "show it at the till or enter it online"})
    reward_code = fields.String(required=True)
    member_id = fields.String(required=True)
    points = fields.Integer(required=True, metadata={"description": "what the reward cost"})
    balance = fields.Integer(required=True, metadata={"description": "the member's balance afterwards"})
    expires_at = fields.AwareDateTime(allow_none=True, metadata={"description": "not usable from then on; null: never"})


class MemberRewardSchema(RewardSchema):
    affordable = fields.Boolean(required=True, metadata={"description": "the member has enough spendable points"})
    redemptions_left = fields.Integer(required=True, allow_none=True, metadata={
        "description": "how many more times the member may redeem it under its per_member_limit; null: no limit"})
    redeemable = fields.Boolean(required=True, metadata={
        "description": "the member can redeem it now: their account is active (false while it is suspended; "
                       "the profile's status says so), it is affordable, in stock and within its per-member limit"})
    password_needed = fields.Boolean(required=True, metadata={
        "description": "redeeming it takes the member's password as well (the programme's "
                       "online_redeem_password_above)"})


class RedeemRewardSchema(InputSchema):
    password = fields.String(load_default=None, validate=ma.validate.Length(1, 1000), metadata={
        "description": "the member's password: needed for a reward whose password_needed is true "
                       "(else 403 password_required, and the Idempotency-Key may be used again); "
                       "a wrong one is refused and counts toward the sign-in lockout"})
    expected_points = fields.Integer(strict=True, load_default=None, allow_none=True, validate=ma.validate.Range(min=0),
                                     metadata={"description": (
                                         "the price the member was shown (the reward's price_for_member): if the "
                                         "reward costs anything else now, the redemption is refused with 409 "
                                         "price_changed and nothing is spent; left out: the reward's price now")})
