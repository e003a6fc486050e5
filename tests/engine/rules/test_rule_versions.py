"""Drafts, atomic publishing, immutable versions in force by sale time, retiring and rollback."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput, InvalidState, NotFound
from engine.orm.rules import RuleVersionRow
from engine.rules.versions import create_draft, list_versions, publish_rules, retire_rule, rollback_rule
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers

BONUS = {"key": "bonus", "name": "Bonus", "effect": {"kind": "fixed_per_transaction", "points": 100}}


def test_an_invalid_draft_is_refused_with_its_problems_and_nothing_is_saved(database, clock):
    with pytest.raises(InvalidInput) as refused:
        create_draft(database, {**BONUS, "effect": {"kind": "gift"}}, now=clock())
    assert [p.field for p in refused.value.problems] == ["effect.kind"]
    assert list_versions(database) == []


def test_saving_a_draft_twice_keeps_one_draft_with_the_last_definition(database, clock):
    create_draft(database, BONUS, now=clock())
    create_draft(database, {**BONUS, "name": "Renamed"}, now=clock())
    (draft,) = list_versions(database, "bonus")
    assert (draft.version, draft.status, draft.definition["name"]) == (1, "draft", "Renamed")


def test_publishing_several_drafts_is_all_or_nothing(database, clock):
    create_draft(database, BONUS, now=clock())
    with pytest.raises(InvalidInput) as refused:
        publish_rules(database, ["bonus", "missing"], now=clock())
    assert [p.field for p in refused.value.problems] == ["keys[1]"]  # as the staff API names the list
    assert [v.status for v in list_versions(database)] == ["draft"]
    published = publish_rules(database, ["bonus"], now=clock())
    assert [(v.rule_key, v.version, v.status) for v in published] == [("bonus", 1, "published")]


def test_a_rule_naming_an_unknown_campaign_cannot_be_published(database, clock):
    create_draft(database, {**BONUS, "campaign": "summer"}, now=clock())
    with pytest.raises(InvalidInput, match="unknown campaign 'summer'"):
        publish_rules(database, ["bonus"], now=clock())


def test_a_rule_naming_tiers_stores_or_segments_the_programme_lacks_cannot_be_published(database, clock, till):
    define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)], TierPolicy(),
                 now=clock())
    create_draft(database, {**BONUS, "conditions": [{"kind": "tier", "values": ["GOLD", "gold"]},
                                                    {"kind": "store", "values": [till.store_code, "BER-99"]},
                                                    {"kind": "segment", "values": ["nope"]}]}, now=clock())
    with pytest.raises(InvalidInput) as refused:
        publish_rules(database, ["bonus"], now=clock())
    assert [p.message for p in refused.value.problems] == [
        "rule 'bonus' names unknown tier 'gold' (codes are case-sensitive)",
        "rule 'bonus' names unknown store 'BER-99' (codes are case-sensitive)",
        "rule 'bonus' names unknown segment 'nope' (codes are case-sensitive)"]
    assert [v.status for v in list_versions(database)] == ["draft"]


def test_a_new_version_supersedes_the_old_one_which_stays_unchanged(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    create_draft(database, {**BONUS, "name": "Bigger", "effect": {"kind": "fixed_per_transaction", "points": 200}},
                 now=clock.advance(hours=1))
    publish_rules(database, ["bonus"], now=clock())
    old, new = list_versions(database, "bonus")
    assert (old.status, old.valid_until, old.definition["effect"]["points"]) == ("superseded", clock(), 100)
    assert (new.version, new.status, new.valid_until) == (2, "published", None)


def test_rollback_publishes_an_earlier_definition_again_as_a_new_version(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    create_draft(database, {**BONUS, "name": "Other"}, now=clock.advance(minutes=1))
    publish_rules(database, ["bonus"], now=clock())
    back = rollback_rule(database, "bonus", 1, now=clock.advance(minutes=1))
    first = list_versions(database, "bonus")[0]
    assert (back.version, back.status, back.definition) == (3, "published", first.definition)
    with pytest.raises(NotFound):
        rollback_rule(database, "bonus", 9, now=clock())


def test_retiring_ends_the_version_in_force_and_cannot_be_repeated(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    assert retire_rule(database, "bonus", now=clock.advance(days=1)).status == "retired"
    with pytest.raises(InvalidState):
        retire_rule(database, "bonus", now=clock())


def test_the_digest_of_a_published_version_matches_its_definition(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock() - timedelta(seconds=1))
    with database.transaction() as session:
        assert len(session.scalar(sa.select(RuleVersionRow.digest))) == 64


def test_the_database_refuses_to_change_a_published_definition(database, clock):
    create_draft(database, BONUS, now=clock())
    publish_rules(database, ["bonus"], now=clock())
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        with database.transaction() as session:
            session.execute(sa.update(RuleVersionRow).values(definition={**BONUS, "name": "Edited"}))
    with database.transaction() as session:
        assert session.scalar(sa.select(RuleVersionRow.definition))["name"] == "Bonus"
