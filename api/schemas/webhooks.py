"""Shapes of webhook endpoints and their deliveries (the secret goes out once, when added)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from api.schemas import InputSchema
from engine.webhooks import DELIVERY_IDS, EVENT_KINDS, MAX_DESCRIPTION, MAX_URL



def _kinds(**options) -> fields.List:
    return fields.List(fields.String(validate=ma.validate.OneOf(list(EVENT_KINDS))),
                       validate=ma.validate.Length(1, len(EVENT_KINDS)), **options,
                       metadata={"description": "the events sent: " + "; ".join(
                           f"{kind}: {meaning}" for kind, meaning in EVENT_KINDS.items())})


def _url(**options) -> fields.String:
    return fields.String(validate=ma.validate.Length(1, MAX_URL), **options, metadata={
        "description": "https, its host resolving to public addresses only (or a host listed in "
                       "LOYALTY_WEBHOOK_PRIVATE_HOSTS); posts are not redirected"})


class WebhookEndpointInSchema(InputSchema):
    url = _url(required=True)
    kinds = _kinds(required=True)
    description = fields.String(load_default="", validate=ma.validate.Length(0, MAX_DESCRIPTION))


class WebhookEndpointChangeSchema(InputSchema):
    url = _url()
    kinds = _kinds()
    description = fields.String(validate=ma.validate.Length(0, MAX_DESCRIPTION))
    active = fields.Boolean(metadata={"description": "false: nothing is recorded or sent for it until true again"})


class WebhookEndpointSchema(ma.Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(required=True)


class NewWebhookEndpointSchema(WebhookEndpointSchema):
    secret = fields.String(required=True, metadata={
        "description": "every post is signed with it (Loyalty-Signature): shown this once"})


class WebhookDeliveryQuerySchema(InputSchema):
    status = fields.String(validate=ma.validate.OneOf(["pending", "delivered", "failed"]))
    before_id = fields.Integer(validate=ma.validate.Range(1, DELIVERY_IDS - 1),
                               metadata={"description": "the last id of the page before"})
    limit = fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))


class WebhookDeliverySchema(ma.Schema):
    id = fields.Integer(required=True)
    endpoint_id = fields.Integer(required=True)
    event_id = fields.String(required=True, metadata={"description": "the same in every attempt: receivers drop "
                                                                     "repeats by it"})
    kind = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True, metadata={"description": "pending, delivered or failed"})
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.AwareDateTime(required=True, allow_none=True)
    last_attempt_at = fields.AwareDateTime(required=True, allow_none=True)
    last_status = fields.Integer(required=True, allow_none=True, metadata={"description": "the receiver's answer"})
    last_error = fields.String(required=True, allow_none=True)
