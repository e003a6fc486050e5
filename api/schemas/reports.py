"""Shapes of the programme reports (the marketer's dashboard as JSON)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema, Ratio
from api.schemas.rules import CampaignSchema


class LiabilityQuerySchema(InputSchema):
    months = fields.Integer(load_default=12, validate=ma.validate.Range(1, 120),
                            metadata={"description": "how many calendar months (the programme's time zone), ending with this one"})


class VouchersOutstandingSchema(ma.Schema):
    usable = fields.Integer(required=True, metadata={"description": "vouchers neither used, cancelled nor past "
                                                                    "their end: rewards still owed"})
    usable_points = fields.Integer(required=True, metadata={"description": "the points paid for them"})
    expired = fields.Integer(required=True, metadata={"description": "vouchers whose end passed unused"})
    expired_points = fields.Integer(required=True, metadata={"description": "the points paid for them"})


class MonthStatementSchema(ma.Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM, in the programme's time zone"})
    opening = fields.Integer(required=True)
    issued = fields.Integer(required=True, metadata={"description": "earned at tills, less refunds"})
    redeemed = fields.Integer(required=True, metadata={"description": "spent at tills and on rewards, less returns"})
    expired = fields.Integer(required=True)
    adjusted = fields.Integer(required=True, metadata={
        "description": "bonuses, grants, opening balances and corrections, less forfeits"})
    closing = fields.Integer(required=True, metadata={
        "description": "opening + issued - redeemed - expired + adjusted"})
    closing_value_minor = fields.Integer(required=True, metadata={
        "description": "the closing points' worth at the redemption rate, in minor units"})
    closed = fields.Boolean(required=True, metadata={
        "description": "summed for good by the nightly close, a day after the month ended: its figures are final"})


class DashboardQuerySchema(InputSchema):
    days = fields.Integer(load_default=30, validate=ma.validate.Range(1, 366),
                          metadata={"description": "how many days, ending today (the programme's days)"})


class DailyFlowSchema(ma.Schema):
    day = fields.Date(required=True)
    issued = fields.Integer(required=True, metadata={"description": "earned by purchases, less refunds"})
    redeemed = fields.Integer(required=True, metadata={
        "description": "paid with points and rewards, less what refunds and cancelled vouchers gave back"})
    expired = fields.Integer(required=True)
    adjusted = fields.Integer(required=True, metadata={
        "description": "bonuses, grants, corrections and points brought over; negative when more was taken"})


class LiabilitySchema(ma.Schema):
    available = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    total = fields.Integer(required=True)


class CountSchema(ma.Schema):
    code = fields.String(required=True)
    value = fields.Integer(required=True)


class StoreActivitySchema(ma.Schema):
    store_code = fields.String(required=True)
    sales = fields.Integer(required=True, metadata={"description": "earning sales"})
    takings_minor = fields.Integer(required=True, metadata={"description": "what they took, before returns"})
    points = fields.Integer(required=True, metadata={"description": "the points they earned"})


class RewardRedeemedSchema(ma.Schema):
    reward_code = fields.String(required=True)
    vouchers = fields.Integer(required=True, metadata={"description": "issued, not cancelled"})
    points = fields.Integer(required=True)


class DashboardSchema(ma.Schema):
    as_of = fields.AwareDateTime(required=True)
    flows = fields.List(fields.Nested(DailyFlowSchema), required=True)
    liability = fields.Nested(LiabilitySchema, required=True)
    tiers = fields.Method("tier_counts", required=True, metadata={"description": "members per tier code"})
    lifecycle = fields.Method("lifecycle_counts", required=True, metadata={
        "description": "members per lifecycle stage (new, lapsed, advocate, loyal, repeat, first_purchase), "
                       "as the nightly customer_value job left them"})
    top_rules = fields.Method("rule_points", required=True, metadata={"description": "points given per rule"})
    campaigns = fields.List(fields.Nested(CampaignSchema), required=True)
    stores = fields.List(fields.Nested(StoreActivitySchema), required=True, metadata={
        "description": "each store's earning sales in the window, most points first"})
    rewards = fields.List(fields.Nested(RewardRedeemedSchema), required=True, metadata={
        "description": "the rewards bought in the window, most vouchers first"})
    breakage = fields.Float(allow_none=True, required=True, metadata={
        "description": "points expired per point issued in the window (null when none were issued)"})

    def tier_counts(self, board) -> list[dict]:
        return [{"code": code, "value": n} for code, n in board.tiers]

    def lifecycle_counts(self, board) -> list[dict]:
        return [{"code": stage, "value": n} for stage, n in board.lifecycle]

    def rule_points(self, board) -> list[dict]:
        return [{"code": code, "value": n} for code, n in board.top_rules]


class ChecksQuerySchema(InputSchema):
    """The days a fraud check looks at, and how many rows it lists at most."""

    days = fields.Integer(load_default=7, validate=ma.validate.Range(1, 92),
                          metadata={"description": "how many days, ending today (the programme's days)"})
    limit = fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))


class FrequentEarnersQuerySchema(ChecksQuerySchema):
    min_sales = fields.Integer(load_default=10, validate=ma.validate.Range(2, 10_000),
                               metadata={"description": "earning sales at one till on one day to be listed"})


class FrequentEarnerSchema(ma.Schema):
    member_id = fields.String(required=True)
    store_code = fields.String(required=True)
    terminal_code = fields.String(required=True)
    day = fields.Date(required=True, metadata={"description": "the till's day (its store's time zone)"})
    sales = fields.Integer(required=True)
    points = fields.Integer(required=True)


class CashierCardsQuerySchema(FrequentEarnersQuerySchema):
    min_sales = fields.Integer(load_default=10, validate=ma.validate.Range(2, 10_000),
                               metadata={"description": "a cashier's earning sales for one card to be listed"})


class CashierCardSchema(ma.Schema):
    store_code = fields.String(required=True)
    cashier = fields.String(required=True, metadata={"description": "the operator id the tills sent"})
    member_id = fields.String(required=True)
    sales = fields.Integer(required=True, metadata={"description": "the cashier's earning sales for this member"})
    points = fields.Integer(required=True)
    cashier_sales = fields.Integer(required=True, metadata={
        "description": "all the cashier's earning sales in the store in the window"})
    own_card = fields.Boolean(required=True, metadata={
        "description": "the member is the cashier (their 'cashier' attribute names this operator id)"})


class CashierRefundsSchema(ma.Schema):
    store_code = fields.String(required=True)
    cashier = fields.String(required=True, metadata={"description": "the operator id the tills sent"})
    refunds = fields.Integer(required=True, metadata={"description": "returns the cashier rang up in the window"})
    amount_minor = fields.Integer(required=True, metadata={"description": "what the returned goods cost"})
    points_reversed = fields.Integer(required=True, metadata={"description": "the points the returns took back"})
    sales = fields.Integer(required=True, metadata={
        "description": "the cashier's earning sales in the store in the same days"})
    own_sales_refunded = fields.Integer(required=True, metadata={
        "description": "returns of sales the cashier rang up themselves"})


class CashierPaymentsSchema(ma.Schema):
    store_code = fields.String(required=True)
    cashier = fields.String(required=True, metadata={"description": "the operator id the tills sent"})
    payments = fields.Integer(required=True, metadata={
        "description": "payments with points the cashier took in the window (holds captured)"})
    points = fields.Integer(required=True, metadata={"description": "the points those payments spent"})
    own_card = fields.Integer(required=True, metadata={
        "description": "payments with the cashier's own card (their 'cashier' attribute names this operator id)"})
    sales = fields.Integer(required=True, metadata={
        "description": "the cashier's earning sales in the store in the same days"})


class GroupFiguresSchema(ma.Schema):
    members = fields.Integer(required=True)
    buyers = fields.Integer(required=True, metadata={"description": "members with at least one purchase"})
    purchases = fields.Integer(required=True)
    spend_minor = fields.Integer(required=True, metadata={
        "description": "receipts' totals less what was refunded of them (a receipt refunded in full is no purchase)"})
    buyer_share = Ratio(allow_none=True)
    spend_per_member_minor = Ratio(allow_none=True)


class CampaignLiftSchema(ma.Schema):
    code = fields.String(required=True)
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True, metadata={"description": "the campaign's end, or now"})
    holdout_share = Ratio(required=True)
    targeted = fields.Nested(GroupFiguresSchema, required=True)
    control = fields.Nested(GroupFiguresSchema, required=True, metadata={"description": "the holdout group"})
    spend_lift = Ratio(allow_none=True,
                       metadata={"description": "targeted spend per member over the control's, minus 1"})
    buyer_share_difference = Ratio(allow_none=True)
    buyer_share_difference_95 = fields.List(Ratio(), allow_none=True,
                                            metadata={"description": "its 95 % confidence interval"})
