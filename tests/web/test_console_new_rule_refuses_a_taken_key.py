"""The console's form for a new rule never saves over an existing rule: a key that is taken
(by a published rule, or by a draft someone else is working on) is refused at the key
field, and the rule stays as it was; changing a rule is what its edit form is for."""
import pytest

from engine.rules import versions
from tests.web.conftest import text_of

TWO_PER_EURO = {"key": "two-per-euro", "name": "Two per euro", "priority": "10", "stacking": "stack",
                "effect_kind": "fixed_per_transaction", "effect_points": "20"}


@pytest.fixture
def marketers(console_as):
    return console_as("marketer", username="mia"), console_as("marketer", username="max")


def test_a_new_rule_with_the_key_of_a_published_rule_is_refused_and_the_rule_stays_as_it_was(marketers, database):
    mia, max_ = marketers
    mia.submit("/console/rules/new", TWO_PER_EURO)
    mia.submit("/console/rules/two-per-euro", {}, to="/console/rules/two-per-euro/publish")
    before = versions.list_versions(database, "two-per-euro")
    refused = max_.submit("/console/rules/new", TWO_PER_EURO | {"name": "Overwrite", "effect_points": "99"})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert 'id="key-error"' in html and "two-per-euro" in text_of(refused)
    assert "exists already" in text_of(refused)
    assert versions.list_versions(database, "two-per-euro") == before


def test_a_new_rule_with_the_key_of_someone_elses_draft_is_refused_and_the_draft_stays_as_it_was(marketers, database):
    mia, max_ = marketers
    mia.submit("/console/rules/new", TWO_PER_EURO)
    before = versions.list_versions(database, "two-per-euro")
    refused = max_.submit("/console/rules/new", TWO_PER_EURO | {"name": "Overwrite"})
    assert refused.status_code == 409 and 'id="key-error"' in refused.get_data(as_text=True)
    assert versions.list_versions(database, "two-per-euro") == before


def test_the_refused_form_keeps_what_was_typed(marketers):
    mia, max_ = marketers
    mia.submit("/console/rules/new", TWO_PER_EURO)
    refused = max_.submit("/console/rules/new", TWO_PER_EURO | {"name": "Overwrite"})
    assert 'name="name" type="text" value="Overwrite"' in refused.get_data(as_text=True)


def test_the_edit_form_still_saves_a_new_draft_of_an_existing_rule(marketers, database):
    mia, _ = marketers
    mia.submit("/console/rules/new", TWO_PER_EURO)
    mia.submit("/console/rules/two-per-euro", {}, to="/console/rules/two-per-euro/publish")
    saved = mia.submit("/console/rules/two-per-euro/edit", TWO_PER_EURO | {"name": "Changed"})
    assert saved.status_code == 302
    assert [(v.version, v.status) for v in versions.list_versions(database, "two-per-euro")] == [
        (1, "published"), (2, "draft")]
