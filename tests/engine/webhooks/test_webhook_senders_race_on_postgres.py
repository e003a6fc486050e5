"""Several processes sending webhooks at once on a real PostgreSQL share the due deliveries:
each is posted once."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from engine import webhooks
from engine.database import Database
from tests.support.races import all_at_once
from tests.support.webhook_receiver import LOCAL

pytestmark = [pytest.mark.postgres]

SENDERS = 6


@pytest.fixture
def database(postgres_db):
    return postgres_db


def test_senders_at_the_same_instant_post_each_event_once(postgres_db, clock, receiver, subscribe, make_member):
    subscribe("member.enrolled")
    members = [make_member() for _ in range(40)]
    racing = Database(postgres_db.url.render_as_string(hide_password=False), pool_size=SENDERS + 2)
    try:
        rounds, raised = all_at_once(lambda n: webhooks.deliver_webhooks(
            racing, now=clock(), allowed_private=LOCAL, limit=10), workers=SENDERS)
    finally:
        racing.engine.dispose()
    assert raised == []
    assert sum(r.delivered for r in rounds) == 40
    posted = Counter(json.loads(r.body)["data"]["member_id"] for r in receiver.received)
    assert posted == Counter({m.public_id: 1 for m in members})
