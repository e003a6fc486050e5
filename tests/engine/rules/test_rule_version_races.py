"""The same rule saved (or rolled back) by several requests at one instant, on a real
PostgreSQL, as a double click on the console's save button sends it: each request either
saves or is told the rule changed meanwhile (409), never a fault, and the versions stay
numbered one after the other."""
import pytest

from engine.errors import Conflict
from engine.rules.versions import create_draft, list_versions, publish_rules, rollback_rule
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres

RULE = {"key": "coffee", "name": "Coffee", "effect": {"kind": "fixed_per_transaction", "points": 40}}


def test_a_new_draft_saved_twice_at_once_is_saved_or_told_it_clashed(postgres_db, clock):
    saved, raised = all_at_once(lambda n: create_draft(postgres_db, RULE | {"name": f"Coffee {n}"}, now=clock()))
    assert saved and all(isinstance(e, Conflict) and e.code == "rule_changed" for e in raised)
    assert [(v.version, v.status) for v in list_versions(postgres_db, "coffee")] == [(1, "draft")]


def test_a_rollback_sent_twice_at_once_publishes_one_version(postgres_db, clock):
    create_draft(postgres_db, RULE, now=clock())
    publish_rules(postgres_db, ["coffee"], now=clock())
    create_draft(postgres_db, RULE | {"name": "Coffee two"}, now=clock())
    publish_rules(postgres_db, ["coffee"], now=clock())
    _, raised = all_at_once(lambda n: rollback_rule(postgres_db, "coffee", 1, now=clock()))
    assert all(isinstance(e, Conflict) and e.code == "rule_changed" for e in raised)
    versions = [v.version for v in list_versions(postgres_db, "coffee")]
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 3
