"""A rollback in the console while a draft is pending says the draft is kept, and the rule's
page still offers to publish it."""
from engine.rules import versions
from tests.web.conftest import text_of

RULE = {"key": "two-per-euro", "name": "Two per euro", "priority": "10", "stacking": "stack",
        "effect_kind": "fixed_per_transaction", "effect_points": "20"}


def test_a_rollback_with_a_pending_draft_keeps_the_draft_and_says_so(console_as, database, clock):
    marketer = console_as("marketer")
    marketer.submit("/console/rules/new", RULE)
    marketer.submit("/console/rules/two-per-euro", {}, to="/console/rules/two-per-euro/publish")
    clock.advance(seconds=1)
    marketer.submit("/console/rules/two-per-euro/edit", RULE | {"name": "Overwrite"})
    draft = [v for v in versions.list_versions(database, "two-per-euro") if v.status == "draft"]
    back = marketer.submit("/console/rules/two-per-euro", {"version": "1"}, to="/console/rules/two-per-euro/rollback",
                           follow_redirects=True)
    assert "back in force as version 3. Draft 2 is kept" in text_of(back)
    assert "Publish version 2" in text_of(back)
    assert [v for v in versions.list_versions(database, "two-per-euro") if v.status == "draft"] == draft
