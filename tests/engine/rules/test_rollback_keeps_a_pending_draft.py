"""Rolling back a rule while a marketer has a draft of it pending leaves the draft as it was
(its number, definition and author); the rolled-back version is numbered after it, so no
number is used twice, and publishing the draft later replaces the rolled-back version."""
from engine.rules.versions import create_draft, get_draft, list_versions, publish_rules, rollback_rule

BONUS = {"key": "bonus", "name": "Bonus", "effect": {"kind": "fixed_per_transaction", "points": 100}}
WORK_IN_PROGRESS = {**BONUS, "name": "Overwrite", "effect": {"kind": "fixed_per_transaction", "points": 300}}


def published_then_drafted(database, clock):
    create_draft(database, BONUS, now=clock(), actor="mia")
    publish_rules(database, ["bonus"], now=clock())
    return create_draft(database, WORK_IN_PROGRESS, now=clock.advance(minutes=1), actor="max")


def test_a_rollback_leaves_the_pending_draft_as_it_was(database, clock):
    draft = published_then_drafted(database, clock)
    rollback_rule(database, "bonus", 1, now=clock.advance(minutes=1), actor="mia")
    [kept] = [v for v in list_versions(database, "bonus") if v.status == "draft"]
    assert kept == draft
    assert get_draft(database, "bonus").name == "Overwrite"


def test_the_rolled_back_version_is_numbered_after_the_draft(database, clock):
    published_then_drafted(database, clock)
    back = rollback_rule(database, "bonus", 1, now=clock.advance(minutes=1))
    first = list_versions(database, "bonus")[0]
    assert (back.version, back.status, back.definition) == (3, "published", first.definition)
    assert [(v.version, v.status) for v in list_versions(database, "bonus")] == [
        (1, "superseded"), (2, "draft"), (3, "published")]


def test_publishing_the_kept_draft_later_replaces_the_rolled_back_version(database, clock):
    published_then_drafted(database, clock)
    rollback_rule(database, "bonus", 1, now=clock.advance(minutes=1))
    [published] = publish_rules(database, ["bonus"], now=clock.advance(minutes=1))
    assert (published.version, published.definition["name"]) == (2, "Overwrite")
    by_number = {v.version: v for v in list_versions(database, "bonus")}
    assert (by_number[3].status, by_number[3].valid_until) == ("superseded", clock())
