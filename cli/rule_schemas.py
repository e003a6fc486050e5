"""The JSON shape of rule definitions, campaigns and hypothetical members (marshmallow).

Shape only: types, known fields, lists. What a definition means (kinds, ranges, days,
effects) is the engine's ``validate_rule``. The loaded form is the dict the engine reads
(``engine.rules.model.rule_from_dict``). Kept outside the engine so the HTTP API can use the
same schemas (move it under api/schemas when the API exposes rules).
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ConditionSchema(_Strict):
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


class EffectSchema(_Strict):
    kind = fields.String(required=True)
    points = fields.Integer(strict=True)
    per_minor = fields.Integer(strict=True)
    factor = fields.Decimal(as_string=True, allow_nan=False)
    rounding = fields.String()


class LimitsSchema(_Strict):
    per_transaction = fields.Integer(strict=True)
    per_member_day = fields.Integer(strict=True)
    per_member_week = fields.Integer(strict=True)
    per_member_month = fields.Integer(strict=True)


class RuleSchema(_Strict):
    key = fields.String(required=True)
    name = fields.String(required=True)
    effect = fields.Nested(EffectSchema, required=True)
    conditions = fields.List(fields.Nested(ConditionSchema))
    limits = fields.Nested(LimitsSchema)
    priority = fields.Integer(strict=True)
    stacking = fields.String()
    group = fields.String()
    campaign = fields.String()


class MemberFactsSchema(_Strict):
    """A hypothetical member for simulation."""

    tier_code = fields.String()
    enrolled_at = fields.AwareDateTime()
    birthday = fields.Date()
    first_purchase = fields.Boolean()
    segments = fields.List(fields.String())
    attributes = fields.Dict(keys=fields.String(), values=fields.String())
