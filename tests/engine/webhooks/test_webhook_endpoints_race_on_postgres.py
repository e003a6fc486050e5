"""Admins adding the same URL at the same instant on a real PostgreSQL: one endpoint, and a
clear conflict for the others."""
from __future__ import annotations

import pytest

from engine import webhooks
from engine.database import Database
from engine.errors import Conflict
from tests.support.races import all_at_once
from tests.support.webhook_receiver import public_resolver

pytestmark = [pytest.mark.postgres]

ADMINS = 6


def test_the_same_url_added_at_once_makes_one_endpoint(postgres_db, clock):
    racing = Database(postgres_db.url.render_as_string(hide_password=False), pool_size=ADMINS + 2)
    try:
        added, raised = all_at_once(lambda n: webhooks.add_endpoint(
            racing, url="https://crm.example.com/hooks", kinds=["points.earned"], actor=f"admin{n}", now=clock(),
            allowed_private=frozenset(), resolver=public_resolver), workers=ADMINS)
    finally:
        racing.engine.dispose()
    assert len(added) == 1 and len(raised) == ADMINS - 1
    assert all(isinstance(e, Conflict) and e.code == "webhook_exists" for e in raised), raised
    assert [e.url for e in webhooks.list_endpoints(postgres_db)] == ["https://crm.example.com/hooks"]
