"""The JSON shapes of earning rules, campaigns, simulations, tiers and rewards.

Shape only: types, known fields, lists. What a rule definition means (kinds, ranges, days,
effects) is the engine's ``validate_rule``; the loaded form of ``RuleSchema`` is the dict the
engine reads (``engine.rules.model.rule_from_dict``), decimals kept as text. The HTTP API and
the CLI's JSON files share these schemas.
"""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema, Ratio
from api.schemas.ledger import BasketLineSchema, Instant, SaleSchema, _whole, channel_field
from api.schemas.people import PageSchema
from api.schemas.terminal import LinePointsSchema, RuleAwardSchema
from engine.ledger.basket import Basket
from engine.rules.backtest import MAX_SALES
from engine.rules.facts import MemberFacts

_code = ma.validate.Length(1, 64)
_name = ma.validate.Length(1, 200)


def _as_text(value):
    """Decimals back to text: the engine reads definitions in their JSON form."""
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return str(value) if isinstance(value, Decimal) else value


class ConditionSchema(InputSchema):
    kind = fields.String(required=True)
    values = fields.List(fields.String())
    exclude = fields.Boolean()
    minimum = fields.Decimal(as_string=True, allow_nan=False)
    maximum = fields.Decimal(as_string=True, allow_nan=False)
    start = fields.String()
    end = fields.String()
    days_of_week = fields.List(fields.Integer(strict=True))
    time_from = fields.String()
    time_until = fields.String()
    attribute = fields.String()

    def get_attribute(self, obj, attr, default):
        # a definition is a dict: a condition without ``values`` has none (marshmallow would
        # otherwise fall back to the dict's own ``values`` method)
        return obj.get(attr, default) if isinstance(obj, dict) else super().get_attribute(obj, attr, default)


class EffectSchema(InputSchema):
    kind = fields.String(required=True)
    points = fields.Integer(strict=True)
    per_minor = fields.Integer(strict=True)
    factor = Ratio()
    rounding = fields.String()


class LimitsSchema(InputSchema):
    per_transaction = fields.Integer(strict=True)
    per_member_day = fields.Integer(strict=True)
    per_member_week = fields.Integer(strict=True)
    per_member_month = fields.Integer(strict=True)


class RuleSchema(InputSchema):
    """One rule definition (what a marketer writes); loads as the engine's JSON form."""

    key = fields.String(required=True)
    name = fields.String(required=True)
    effect = fields.Nested(EffectSchema, required=True)
    conditions = fields.List(fields.Nested(ConditionSchema))
    limits = fields.Nested(LimitsSchema)
    priority = fields.Integer(strict=True)
    stacking = fields.String()
    group = fields.String()
    campaign = fields.String()

    @ma.post_load
    def as_definition(self, data: dict, **_) -> dict:
        return _as_text(data)


class MemberFactsSchema(InputSchema):
    """A hypothetical member for simulation."""

    tier_code = fields.String()
    enrolled_at = Instant()
    birthday = fields.Date()
    first_purchase = fields.Boolean()
    segments = fields.List(fields.String())
    attributes = fields.Dict(keys=fields.String(), values=fields.String())

    @ma.post_load
    def make_facts(self, data: dict, **_) -> MemberFacts:
        return MemberFacts(**{**data, "segments": frozenset(data.get("segments", ()))})


class RuleVersionSchema(ma.Schema):
    rule_key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "draft, published, superseded or retired"})
    definition = fields.Dict(required=True)
    created_at = fields.AwareDateTime(required=True)
    published_at = fields.AwareDateTime(allow_none=True)
    valid_until = fields.AwareDateTime(allow_none=True)


class RuleVersionFilterSchema(PageSchema):
    rule_key = fields.String(load_default=None, validate=_code)


class ProblemSchema(ma.Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ValidationReportSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class PublishSchema(InputSchema):
    keys = fields.List(fields.String(validate=_code), required=True, validate=ma.validate.Length(1, 200))


class RollbackSchema(InputSchema):
    version = _whole(required=True, validate=ma.validate.Range(1, 10**6))


class ExportFilterSchema(InputSchema):
    drafts = fields.Boolean(load_default=False, metadata={"description": "export the drafts instead of the rules in force"})


class ImportSchema(InputSchema):
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=ma.validate.Length(1, 500))
    publish = fields.Boolean(load_default=False, metadata={"description": "publish all imported rules at once"})


class SimulationBasketSchema(SaleSchema):
    """A sample basket: a sale without a member (the simulation names or describes one)."""

    store_code = fields.String(required=True)
    terminal_code = fields.String(load_default="simulation")
    receipt_number = fields.String(load_default="simulation")
    lines = fields.List(fields.Nested(BasketLineSchema), required=True, validate=ma.validate.Length(1, 500))
    channel = channel_field()

    @ma.post_load
    def make_basket(self, data: dict, **_) -> Basket:
        return Basket(**{**data, "lines": tuple(data["lines"])})


class SimulationSchema(InputSchema):
    """What a basket would earn: for a real member (``member_id``) or a described one
    (``member``), with the published rules, some drafts in their place, or unsaved rules."""

    basket = fields.Nested(SimulationBasketSchema, required=True)
    member_id = fields.String(load_default=None, allow_none=True)
    member = fields.Nested(MemberFactsSchema, load_default=None, allow_none=True)
    draft_keys = fields.List(fields.String(validate=_code), load_default=list)
    rules = fields.List(fields.Nested(RuleSchema), load_default=list, validate=ma.validate.Length(0, 200),
                        metadata={"description": "unsaved rules to try instead of the published versions of their keys"})


class BacktestRequestSchema(InputSchema):
    """Drafts (or unsaved rules) tried on the sales of the last ``days`` days."""

    days = fields.Integer(load_default=30, validate=ma.validate.Range(1, 92),
                          metadata={"description": "the window: this many days up to now"})
    draft_keys = fields.List(fields.String(validate=_code), load_default=list)
    rules = fields.List(fields.Nested(RuleSchema), load_default=list, validate=ma.validate.Length(0, 200),
                        metadata={"description": "unsaved rules to try instead of the published versions of their keys"})
    max_sales = fields.Integer(load_default=2000, validate=ma.validate.Range(1, MAX_SALES),
                               metadata={"description": "the newest sales of the window taken"})


class RuleTotalsSchema(ma.Schema):
    rule_key = fields.String(required=True)
    published = fields.Integer(required=True)
    with_drafts = fields.Integer(required=True)


class BacktestSchema(ma.Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)
    sales = fields.Integer(required=True)
    members = fields.Integer(required=True)
    published = fields.Integer(required=True, metadata={"description": "the sales' points with the rules in force"})
    with_drafts = fields.Integer(required=True)
    members_changed = fields.Integer(required=True, metadata={"description": "members whose points would differ"})
    rules = fields.List(fields.Nested(RuleTotalsSchema), required=True)


class EvaluationSchema(ma.Schema):
    points = fields.Integer(required=True)
    lines = fields.List(fields.Nested(LinePointsSchema), required=True)
    awards = fields.List(fields.Nested(RuleAwardSchema), required=True)


class CampaignInSchema(InputSchema):
    code = fields.String(required=True, validate=_code)
    name = fields.String(required=True, validate=_name)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    budget = _whole(load_default=None, allow_none=True, metadata={"description": "total points; null: unlimited"})
    segment_code = fields.String(load_default=None, allow_none=True, validate=_code)
    holdout_share = Ratio(load_default=Decimal(0),
                          metadata={"description": "share of eligible members held out, e.g. \"0.1\""})
    member_cap = _whole(load_default=None, allow_none=True, metadata={
        "description": "the most points one member gets from the campaign in all; null: no cap"})


class CampaignChangeSchema(InputSchema):
    name = fields.String(validate=_name)
    ends_at = Instant(metadata={"description": "a new end, after the start and after now"})
    budget = _whole(metadata={"description": "the new total budget (only a campaign created with one); "
                                             "at least what it has given"})
    member_cap = _whole(metadata={"description": "the most points one member gets from the campaign in all, "
                                                 "from the next sale on"})


class CampaignSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    budget = fields.Integer(allow_none=True)
    budget_used = fields.Integer(required=True)
    segment_code = fields.String(allow_none=True)
    holdout_share = Ratio(required=True)
    member_cap = fields.Integer(allow_none=True, required=True)


class ReferralInSchema(InputSchema):
    referrer_id = fields.String(required=True, validate=_code)
    referred_id = fields.String(required=True, validate=_code)


class ReferralSchema(ma.Schema):
    referrer_id = fields.String(required=True)
    referred_id = fields.String(required=True)
    referrer_points = fields.Integer(required=True, metadata={"description": "the referrer's bonus (the "
                                                                             "programme's when recorded)"})
    referred_points = fields.Integer(required=True, metadata={"description": "the referred member's bonus"})
    min_total_minor = fields.Integer(required=True, metadata={"description": "the first purchase must pay this"})
    rewarded_at = fields.AwareDateTime(allow_none=True)


class SegmentInSchema(InputSchema):
    code = fields.String(required=True, validate=_code)
    predicate = fields.Dict(load_default=None, allow_none=True,
                            metadata={"description": "attribute predicate; omit for an uploaded list"})


class SegmentChangeSchema(InputSchema):
    predicate = fields.Dict(required=True, metadata={"description": "the new predicate, as at creation"})


class SegmentMembersSchema(InputSchema):
    member_ids = fields.List(fields.String(validate=_code), required=True, validate=ma.validate.Length(1, 100_000))


class SegmentSchema(ma.Schema):
    code = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "list or predicate"})
    predicate = fields.Dict(allow_none=True)
    members = fields.Integer(required=True, metadata={"description": "how many members it holds now"})


class AudienceQuerySchema(InputSchema):
    channel = fields.String(required=True, validate=ma.validate.OneOf(["email", "sms"]))
    limit = fields.Integer(load_default=1000, validate=ma.validate.Range(1, 1000))
    after = fields.String(validate=ma.validate.Length(1, 20),
                          metadata={"description": "the last member id of the page before"})


class ContactSchema(ma.Schema):
    member_id = fields.String(required=True)
    full_name = fields.String(required=True)
    address = fields.String(required=True, metadata={"description": "the e-mail address or the phone number"})


class SegmentUploadSchema(ma.Schema):
    code = fields.String(required=True)
    members = fields.Integer(required=True)
