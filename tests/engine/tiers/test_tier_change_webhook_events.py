"""Every tier change a member hears of is a ``tier.changed`` webhook event too, named by
the change: an upgrade at the till, staff's assignment, and a review's moves (written
set-based, the same event for every endpoint, once however often the review runs)."""
import json
from datetime import UTC, datetime

import sqlalchemy as sa

from engine import webhooks
from engine.orm.webhooks import WebhookDeliveryRow
from engine.tiers.service import assign_tier, review_tiers
from tests.support.webhook_receiver import public_resolver


def subscribe(database, clock, *urls: str) -> None:
    for url in urls or ("https://crm.example.com/hooks",):
        webhooks.add_endpoint(database, url=url, kinds=["tier.changed"], actor="admin", now=clock(),
                              allowed_private=frozenset(), resolver=public_resolver)


def events(database) -> list[tuple[int, str, dict]]:
    """(endpoint, event id, data) of every tier.changed delivery, oldest first."""
    with database.transaction() as session:
        rows = session.execute(sa.select(WebhookDeliveryRow.endpoint_id, WebhookDeliveryRow.body)
                               .where(WebhookDeliveryRow.kind == "tier.changed").order_by(WebhookDeliveryRow.id))
        return [(endpoint, body["id"], body["data"]) for endpoint, body in
                ((endpoint, json.loads(text)) for endpoint, text in rows)]


def test_an_upgrade_at_the_till_and_staffs_assignment_are_events(database, clock, make_member, earn, tiers):
    tiers()
    subscribe(database, clock)
    member = make_member()
    earn(member, 40000)  # enrolled in Basic: no event, as no message
    earn(member, 15000)  # Silver
    assign_tier(database, member.public_id, "BASIC", reason="corrected", actor="ops", now=clock())
    found = events(database)
    assert [data for _, _, data in found] == [
        {"member_id": member.public_id, "from_tier": "BASIC", "to_tier": "SILVER", "direction": "up",
         "reason": "upgrade", "at": "2026-03-02T10:00:00Z"},
        {"member_id": member.public_id, "from_tier": "SILVER", "to_tier": "BASIC", "direction": "down",
         "reason": "manual", "at": "2026-03-02T10:00:00Z"}]
    assert all(event_id.startswith("evt_tier_") for _, event_id, _ in found)


def test_a_reviews_moves_are_events_for_every_endpoint_once(database, clock, make_member, earn, tiers):
    tiers()
    member, other = make_member(), make_member()
    earn(member, 600000)  # Platinum in 2026
    earn(other, 600000)
    subscribe(database, clock, "https://crm.example.com/a", "https://crm.example.com/b")
    review_tiers(database, as_of=datetime(2028, 1, 1, tzinfo=UTC))  # nothing earned in 2027: one step down
    review_tiers(database, as_of=datetime(2028, 1, 1, tzinfo=UTC))  # again: nothing more
    found = events(database)
    assert len(found) == 4 and len({endpoint for endpoint, _, _ in found}) == 2
    by_event = {}
    for endpoint, event_id, data in found:
        by_event.setdefault(event_id, []).append((endpoint, data))
    assert len(by_event) == 2 and all(len(copies) == 2 and copies[0][1] == copies[1][1]
                                      for copies in by_event.values())
    assert sorted((copies[0][1]["member_id"], copies[0][1]["from_tier"], copies[0][1]["to_tier"],
                   copies[0][1]["direction"], copies[0][1]["reason"], copies[0][1]["at"])
                  for copies in by_event.values()) == sorted(
        (m.public_id, "PLATINUM", "GOLD", "down", "review", "2028-01-01T00:00:00Z") for m in (member, other))
