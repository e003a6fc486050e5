"""A marketer builds an earning rule in the console's form, sees problems next to their
fields, simulates a basket, publishes, and the next sale earns by the rule."""
from dataclasses import replace

import pytest

from engine.ledger.earning import earn_points
from engine.rules import versions
from tests.conftest import new_key
from tests.web.conftest import text_of

WEEKEND_COFFEE = {"key": "weekend-coffee", "name": "Weekend coffee", "priority": "10", "stacking": "stack",
                  "effect_kind": "fixed_per_transaction", "effect_points": "40", "cond_category": "coffee",
                  "limit_per_member_day": "200"}


@pytest.fixture
def marketer(console_as):
    return console_as("marketer")


def test_the_form_saves_a_draft_that_earns_nothing_until_published(marketer, database):
    saved = marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/console/rules/weekend-coffee")
    [draft] = versions.list_versions(database, "weekend-coffee")
    assert draft.status == "draft"
    assert draft.definition["conditions"] == [{"kind": "category", "values": ["coffee"]}]
    assert draft.definition["limits"] == {"per_member_day": 200}
    page = text_of(marketer.get("/console/rules/weekend-coffee"))
    assert "40 bonus points per sale" in page and "Categories: coffee" in page and "Publish version 1" in page


def test_a_problem_is_shown_next_to_its_field_and_nothing_is_saved(marketer, database):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"effect_points": "0", "limit_per_member_day": "x"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="effect_points-error"' in html and 'aria-describedby="effect_points-error"' in html
    assert 'id="limit_per_member_day-error">Must be a whole number.' in html
    assert 'value="coffee"' in html  # what was typed stays in the form
    assert versions.list_versions(database) == []


def test_a_condition_problem_lands_on_the_condition_field(marketer):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"cond_time_from": "10:00"})
    assert response.status_code == 422
    assert 'id="cond_time_from-error"' in response.get_data(as_text=True)


def test_a_problem_with_one_part_of_a_condition_lands_on_that_part(marketer, database):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"cond_basket_min": "50", "cond_basket_max": "20"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="cond_basket_max-error">Must not be below the minimum.' in html
    assert 'id="cond_basket_min-error"' not in html
    assert versions.list_versions(database) == []


def test_simulating_the_draft_shows_what_it_would_add(marketer, till):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    sale = {"store_code": till.store_code, "member": "hypothetical", "tier": "", "when": "",
            "line0_sku": "LATTE", "line0_category": "coffee", "line0_quantity": "1", "line0_amount": "4.50",
            "draft_keys": "weekend-coffee"}
    page = marketer.submit("/console/simulate", sale)
    assert page.status_code == 200, text_of(page)[:400]
    words = text_of(page)
    assert "With the published rules: 4 points" in words and "With the drafts: 44 points" in words


def test_a_published_rule_changes_the_next_sale(marketer, database, clock, make_member, make_basket):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    assert marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/publish") \
        .status_code == 302
    clock.advance(seconds=1)
    basket = make_basket(make_member(), 450)
    coffee = replace(basket, lines=(replace(basket.lines[0], category="coffee"),))
    earned = earn_points(database, coffee, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert earned.points == 44 and "weekend-coffee" in [r.rule_key for r in earned.rules]


def test_rollback_brings_an_earlier_version_back(marketer, database, clock):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/publish")
    clock.advance(seconds=1)
    marketer.submit("/console/rules/weekend-coffee/edit", WEEKEND_COFFEE | {"effect_points": "80"})
    marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/publish")
    clock.advance(seconds=1)
    back = marketer.submit("/console/rules/weekend-coffee", {"version": "1"}, to="/console/rules/weekend-coffee/rollback")
    assert back.status_code == 302
    current = [v for v in versions.list_versions(database, "weekend-coffee") if v.status == "published"]
    assert [(v.version, v.definition["effect"]["points"]) for v in current] == [(3, 40)]


def test_the_edit_form_is_filled_with_the_saved_definition(marketer):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"cond_days": "6", "cond_basket_min": "20.00"})
    html = marketer.get("/console/rules/weekend-coffee/edit").get_data(as_text=True)
    assert 'name="cond_category" type="text" value="coffee"' in html
    assert 'value="6" checked' in html and 'name="cond_basket_min" type="text" value="20.00"' in html


def test_an_auditor_reads_rules_but_cannot_save_one(console_as, database):
    auditor = console_as("auditor")
    assert auditor.get("/console/rules").status_code == 200
    refused = auditor.submit("/console/rules/new", WEEKEND_COFFEE)
    assert refused.status_code == 403 and "Not for your role" in text_of(refused)
    assert versions.list_versions(database) == []


def test_a_form_without_the_csrf_token_is_refused(marketer, database):
    response = marketer.client.post("/console/rules/new", data=WEEKEND_COFFEE)
    assert response.status_code == 400
    assert versions.list_versions(database) == []


def test_the_simulation_names_a_line_it_cannot_read(marketer, till):
    page = marketer.submit("/console/simulate", {"store_code": till.store_code, "member": "hypothetical",
                                                 "line0_sku": "LATTE", "line0_amount": "four"})
    assert page.status_code == 422 and "Line 1: give a quantity above 0" in text_of(page)

