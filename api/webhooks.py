"""Staff API for webhooks (``webhooks.write``, admins): the endpoints the programme's events
are posted to, their deliveries, a test event, and sending a failed delivery again. The
scheduler sends (``loyalty scheduler``, every minute); ``engine.webhooks`` says how."""
from __future__ import annotations

from flask import current_app, g

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now
from api.json_body import Blueprint
from api.schemas.terminal import EmptySchema
from api.schemas.webhooks import (NewWebhookEndpointSchema, WebhookDeliveryQuerySchema, WebhookDeliverySchema,
                                  WebhookEndpointChangeSchema, WebhookEndpointInSchema, WebhookEndpointSchema)
from engine import webhooks

blp = Blueprint("webhooks", __name__, url_prefix="/v1/staff/webhooks",
                description="Webhooks: the programme's events posted, signed, to the chain's other systems "
                            "(staff: webhooks.write).")
AUTH = {"security": [BEARER_AUTH]}


def _allowed_private() -> frozenset[str]:
    return current_app.config["WEBHOOK_PRIVATE_HOSTS"]


@blp.route("", methods=["GET"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.response(200, WebhookEndpointSchema(many=True))
def endpoints():
    """Every endpoint, oldest first (their secrets are not shown again)."""
    return webhooks.list_endpoints(database())


@blp.route("", methods=["POST"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(WebhookEndpointInSchema())
@blp.response(201, NewWebhookEndpointSchema)
def add(body):
    """Add an endpoint; the answer holds the secret its posts are signed with, this once. A URL
    added already is refused with 409 ``webhook_exists`` (so a retry adds no second)."""
    added = webhooks.add_endpoint(database(), actor=g.principal.actor, now=now(),
                                  allowed_private=_allowed_private(), **body)
    return added.shown()


@blp.route("/<int:endpoint_id>", methods=["PATCH"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(WebhookEndpointChangeSchema())
@blp.response(200, WebhookEndpointSchema)
def change(body, endpoint_id):
    """Change the URL (checked like a new one), the kinds, the description, or whether it is active."""
    return webhooks.change_endpoint(database(), endpoint_id, allowed_private=_allowed_private(), **body)


@blp.route("/<int:endpoint_id>/secret", methods=["POST"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(201, NewWebhookEndpointSchema)
def renew_secret(_body, endpoint_id):
    """A new signing secret, shown this once: posts from now on are signed with it (a leaked
    secret, a receiver moved to another system)."""
    return webhooks.renew_secret(database(), endpoint_id).shown()


@blp.route("/<int:endpoint_id>", methods=["DELETE"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.response(204)
def remove(endpoint_id):
    """Remove the endpoint and its deliveries."""
    webhooks.remove_endpoint(database(), endpoint_id)


@blp.route("/<int:endpoint_id>/deliveries", methods=["GET"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(WebhookDeliveryQuerySchema(), location="query")
@blp.response(200, WebhookDeliverySchema(many=True))
def deliveries(query, endpoint_id):
    """The endpoint's deliveries, newest first, a page at a time, with how their last attempt went."""
    return webhooks.list_deliveries(database(), endpoint_id, **query)


@blp.route("/<int:endpoint_id>/test", methods=["POST"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(202, WebhookDeliverySchema)
def send_test(_body, endpoint_id):
    """Queue a ``webhook.test`` event for this endpoint alone (sent within a minute)."""
    return webhooks.send_test_event(database(), endpoint_id, now=now())


@blp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/send-again", methods=["POST"])
@staff_only("webhooks.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, WebhookDeliverySchema)
def send_again(_body, endpoint_id, delivery_id):
    """Send a failed delivery again, with all its attempts ahead of it (409 ``delivery_not_failed``
    for one that is not failed)."""
    return webhooks.send_again(database(), endpoint_id, delivery_id, now=now())
