"""A draft saved as a new rule (the console's form for a new rule) is refused when its key
has any version already, a draft included, and nothing changes; without ``new_rule`` a draft
replaces the earlier draft of its key, as the staff API documents."""
import pytest

from engine.errors import Conflict
from engine.rules.versions import create_draft, list_versions, publish_rules, retire_rule

BONUS = {"key": "bonus", "name": "Bonus", "effect": {"kind": "fixed_per_transaction", "points": 100}}
OVERWRITE = {**BONUS, "name": "Overwrite"}


def test_a_new_rule_with_the_key_of_a_published_rule_is_refused_naming_the_rule(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    before = list_versions(database, "bonus")
    with pytest.raises(Conflict, match=r"rule 'bonus' exists already \(version 1, published\)") as refused:
        create_draft(database, OVERWRITE, now=clock.advance(minutes=1), new_rule=True)
    assert refused.value.code == "duplicate_rule"
    assert list_versions(database, "bonus") == before


def test_a_new_rule_with_the_key_of_a_pending_draft_is_refused_and_the_draft_stays(database, clock):
    create_draft(database, BONUS, now=clock(), actor="mia")
    before = list_versions(database, "bonus")
    with pytest.raises(Conflict, match=r"exists already \(a draft, version 1\)"):
        create_draft(database, OVERWRITE, now=clock.advance(minutes=1), actor="max", new_rule=True)
    assert list_versions(database, "bonus") == before


def test_a_new_rule_with_the_key_of_a_retired_rule_is_refused(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    retire_rule(database, "bonus", now=clock.advance(minutes=1))
    with pytest.raises(Conflict, match="version 1, retired"):
        create_draft(database, OVERWRITE, now=clock(), new_rule=True)


def test_a_new_rule_with_a_free_key_is_saved_as_its_first_draft(database, clock):
    saved = create_draft(database, BONUS, now=clock(), new_rule=True)
    assert (saved.rule_key, saved.version, saved.status) == ("bonus", 1, "draft")
