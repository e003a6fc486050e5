"""Reading the webhook events a test's commands recorded."""
import json

import sqlalchemy as sa

from engine.orm.webhooks import WebhookDeliveryRow


def recorded(database) -> list[tuple[int, str, dict]]:
    """(endpoint, kind, event data) of every delivery, oldest first."""
    with database.transaction() as session:
        rows = session.execute(sa.select(WebhookDeliveryRow.endpoint_id, WebhookDeliveryRow.kind,
                                         WebhookDeliveryRow.body).order_by(WebhookDeliveryRow.id)).all()
    return [(endpoint, kind, json.loads(body)["data"]) for endpoint, kind, body in rows]


def event_ids(database) -> set[str]:
    with database.transaction() as session:
        return set(session.scalars(sa.select(WebhookDeliveryRow.event_id)))
