"""A marketer builds an earning rule in the console's form, sees problems next to their
fields, simulates a basket, publishes, and the next sale earns by the rule."""
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from api.web.rule_form import unsupported_conditions
from engine.ledger.earning import earn_points
from engine.orm.rules import RuleVersionRow
from engine.rules import versions
from tests.conftest import new_key
from tests.web.conftest import text_of

WEEKEND_COFFEE = {"key": "weekend-coffee", "name": "Weekend coffee", "priority": "10", "stacking": "stack",
                  "effect_kind": "fixed_per_transaction", "effect_points": "40", "cond_category": "coffee",
                  "limit_per_member_day": "200"}


# Every condition the form offers beyond the everyday ones, filled in at once.
NEW_CONDITIONS = {"cond_channel": "online", "cond_channel_exclude": "yes",
                  "cond_quantity_min": "1.5", "cond_quantity_max": "10",
                  "cond_line_amount_min": "1.50", "cond_enrolment_age_min": "30", "cond_enrolment_age_max": "365",
                  "cond_attribute": "newsletter", "cond_attribute_values": "yes, weekly"}


@pytest.fixture
def marketer(console_as):
    return console_as("marketer")


class FormFields(HTMLParser):
    """The fields a browser would post from a page's rule form: text fields as they are,
    checked boxes only, the selected option of each list."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and "selected" in a:
            self.fields.setdefault(self.select, []).append(a.get("value") or "")


def resubmit_unchanged(marketer, key: str):
    """Open the rule's edit form and save it as the form shows it."""
    page = marketer.get(f"/console/rules/{key}/edit")
    assert page.status_code == 200
    parser = FormFields()
    parser.feed(page.get_data(as_text=True))
    parser.fields.pop("csrf_token")
    return marketer.submit(f"/console/rules/{key}/edit", parser.fields)


def latest_definition(database, key: str) -> dict:
    return versions.list_versions(database, key)[-1].definition


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
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"effect_points": "0", "limit_per_member_day": "²"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="effect_points-error"' in html and 'aria-describedby="effect_points-error"' in html
    assert 'id="limit_per_member_day-error">Must be a whole number.' in html
    assert 'value="coffee"' in html  # what was typed stays in the form
    assert versions.list_versions(database) == []


@pytest.mark.parametrize("fields, field", [
    ({"cond_time_from": "10:00"}, "cond_time_until"),  # the missing end of the window
    ({"cond_time_until": "10:00"}, "cond_time_from"),
    ({"cond_date_start": "2026-08-31", "cond_date_end": "2026-08-01"}, "cond_date_end"),
])
def test_a_condition_problem_lands_on_the_field_it_is_about(marketer, fields, field):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.findall(r'id="([\w-]+)-error"', html) == [field]


@pytest.mark.parametrize("field, typed", [("cond_basket_min", "Infinity"), ("cond_line_amount_max", "-Infinity"),
                                          ("cond_basket_max", "NaN"), ("cond_quantity_min", "Infinity"),
                                          ("effect_factor", "NaN"), ("cond_basket_min", "9e999999")])
def test_a_number_field_that_is_not_a_finite_number_is_refused_at_that_field(marketer, database, field, typed):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"effect_kind": "multiplier", field: typed})
    assert response.status_code == 422
    assert f'id="{field}-error">Must be a number, such as 1.5.' in response.get_data(as_text=True)
    assert versions.list_versions(database) == []


@pytest.mark.parametrize("field", ["priority", "effect_points", "limit_per_member_day"])
@pytest.mark.parametrize("typed", ["--5", "9" * 5000])
def test_a_whole_number_field_the_form_cannot_read_is_refused_at_that_field(marketer, database, field, typed):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {field: typed})
    assert response.status_code == 422
    assert f'id="{field}-error">Must be a whole number.' in response.get_data(as_text=True)
    assert versions.list_versions(database) == []


@pytest.mark.parametrize("fields, effect, words", [
    ({"effect_kind": "points_per_unit", "effect_points": "2", "effect_per_minor": "100", "effect_rounding": "half_up"},
     {"kind": "points_per_unit", "points": 2, "per_minor": 100, "rounding": "half_up"},
     "2 points per 1.00 EUR spent (rounded half_up)"),
    ({"effect_kind": "multiplier", "effect_factor": "1.5"}, {"kind": "multiplier", "factor": "1.5", "rounding": "down"},
     "1.5× the points of the matched lines"),
    ({"effect_kind": "multiplier", "effect_factor": "1.5", "effect_rounding": "up"},
     {"kind": "multiplier", "factor": "1.5", "rounding": "up"}, "1.5× the points of the matched lines"),
    ({"effect_kind": "tier_multiplier"}, {"kind": "tier_multiplier", "rounding": "down"},
     "the member's tier multiplier × the points of the matched lines"),
    ({"effect_kind": "tier_multiplier", "effect_rounding": "half_up"}, {"kind": "tier_multiplier", "rounding": "half_up"},
     "the member's tier multiplier × the points of the matched lines"),
    ({"effect_kind": "fixed_per_unit", "effect_points": "5"}, {"kind": "fixed_per_unit", "points": 5, "rounding": "down"},
     "5 bonus points per item")])
def test_each_effect_saved_from_the_form_gives_its_definition_and_its_words(marketer, database, fields, effect, words):
    without_points = {k: v for k, v in WEEKEND_COFFEE.items() if k not in ("effect_points",)}
    assert marketer.submit("/console/rules/new", without_points | fields).status_code == 302
    assert latest_definition(database, "weekend-coffee")["effect"] == effect
    assert words in text_of(marketer.get("/console/rules/weekend-coffee"))


def test_member_lifecycle_conditions_saved_from_the_form_are_described_in_words(marketer, database):
    form = WEEKEND_COFFEE | {"cond_first_purchase": "yes", "cond_birthday_month": "yes",
                             "cond_date_start": "2026-06-01", "cond_time_from": "17:00", "cond_time_until": "19:00"}
    assert marketer.submit("/console/rules/new", form).status_code == 302
    kinds = [c["kind"] for c in latest_definition(database, "weekend-coffee")["conditions"]]
    assert {"first_purchase", "birthday_month", "date_range", "time_window"} <= set(kinds)
    page = text_of(marketer.get("/console/rules/weekend-coffee"))
    assert "On the member's first purchase" in page and "In the member's birthday month" in page
    assert "From 2026-06-01 to no end" in page and "Between 17:00 and 19:00 store time" in page
    assert resubmit_unchanged(marketer, "weekend-coffee").status_code == 302
    assert [c["kind"] for c in latest_definition(database, "weekend-coffee")["conditions"]] == kinds


def test_a_problem_with_one_part_of_a_condition_lands_on_that_part(marketer, database):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | {"cond_basket_min": "50", "cond_basket_max": "20"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="cond_basket_max-error">Must not be below the minimum.' in html
    assert 'id="cond_basket_min-error"' not in html
    assert versions.list_versions(database) == []


@pytest.mark.parametrize("fields, condition", [
    ({"cond_quantity_min": "2"}, {"kind": "quantity", "minimum": "2"}),
    ({"cond_quantity_min": "1.5", "cond_quantity_max": "10"}, {"kind": "quantity", "minimum": "1.5", "maximum": "10"}),
    ({"cond_line_amount_min": "1.50"}, {"kind": "line_amount", "minimum": "150"}),
    ({"cond_line_amount_max": "20"}, {"kind": "line_amount", "maximum": "2000"}),
    ({"cond_enrolment_age_min": "30", "cond_enrolment_age_max": "365"},
     {"kind": "enrolment_age", "minimum": "30", "maximum": "365"}),
    ({"cond_enrolment_age_max": "0"}, {"kind": "enrolment_age", "maximum": "0"}),
    ({"cond_attribute": "newsletter", "cond_attribute_values": "yes, weekly"},
     {"kind": "attribute", "attribute": "newsletter", "values": ["yes", "weekly"]}),
    ({"cond_channel": "online", "cond_channel_exclude": "yes"}, {"kind": "channel", "values": ["online"], "exclude": True}),
    ({"cond_channel_exclude": "yes"}, None),  # "all except" nothing is no condition
])
def test_each_new_condition_saved_from_the_form_gives_its_definition(marketer, database, fields, condition):
    assert marketer.submit("/console/rules/new", WEEKEND_COFFEE | fields).status_code == 302
    coffee = {"kind": "category", "values": ["coffee"]}
    assert latest_definition(database, "weekend-coffee")["conditions"] == [coffee] + ([condition] if condition else [])


def test_a_rule_with_the_new_conditions_opens_in_the_edit_form_with_its_values(marketer):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE | NEW_CONDITIONS)
    html = marketer.get("/console/rules/weekend-coffee/edit").get_data(as_text=True)
    for name in ("cond_quantity_min", "cond_quantity_max", "cond_line_amount_min", "cond_attribute",
                 "cond_attribute_values"):
        assert f'name="{name}" type="text" value="{NEW_CONDITIONS[name]}"' in html
    for name in ("cond_enrolment_age_min", "cond_enrolment_age_max"):
        assert f'name="{name}" type="number" value="{NEW_CONDITIONS[name]}"' in html
    assert 'name="cond_channel" value="online" checked' in html
    assert 'name="cond_channel_exclude" value="yes" checked' in html


def test_a_rule_with_the_new_conditions_comes_back_unchanged_from_the_edit_form(marketer, database):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE | NEW_CONDITIONS)
    saved = latest_definition(database, "weekend-coffee")
    assert len(saved["conditions"]) == 6
    assert resubmit_unchanged(marketer, "weekend-coffee").status_code == 302
    assert latest_definition(database, "weekend-coffee") == saved


def test_a_channel_exclude_rule_saved_elsewhere_opens_in_the_form_and_comes_back_unchanged(marketer, database, clock):
    definition = {"key": "not-online", "name": "Not online", "effect": {"kind": "fixed_per_transaction", "points": 5},
                  "conditions": [{"kind": "channel", "values": ["online"], "exclude": True},
                                 {"kind": "enrolment_age", "minimum": 7}]}
    versions.create_draft(database, definition, now=clock())
    saved = latest_definition(database, "not-online")
    assert 'href="/console/rules/not-online/edit"' in marketer.get("/console/rules/not-online").get_data(as_text=True)
    assert resubmit_unchanged(marketer, "not-online").status_code == 302
    assert latest_definition(database, "not-online") == saved


@pytest.mark.parametrize("conditions, kinds", [
    ([{"kind": "currency", "values": ["EUR"]}], ["currency"]),  # not offered
    ([{"kind": "category", "values": ["coffee"]}, {"kind": "category", "values": ["organic"]}], ["category"]),
    ([{"kind": "sku", "values": ["LATTE"]}, {"kind": "sku", "values": ["LATTE"]}], ["sku"]),
    ([{"kind": "quantity", "minimum": 1}, {"kind": "quantity", "maximum": 5}], ["quantity"]),
    ([{"kind": "attribute", "attribute": "a", "values": ["x"]}, {"kind": "attribute", "attribute": "b", "values": ["y"]}],
     ["attribute"]),
    ([{"kind": "attribute", "attribute": "newsletter", "values": ["yes, weekly"]}], ["attribute"]),
    ([{"kind": "time_window", "time_from": "10:00:30", "time_until": "12:00"}], ["time_window"]),
])
def test_a_rule_the_form_would_change_is_shown_read_only(marketer, database, clock, conditions, kinds):
    definition = {"key": "odd", "name": "Odd", "effect": {"kind": "fixed_per_transaction", "points": 5},
                  "conditions": [{"kind": "brand", "values": ["acme"]}] + conditions}
    versions.create_draft(database, definition, now=clock())
    saved = latest_definition(database, "odd")
    assert unsupported_conditions(saved, exponent=2) == kinds
    page = marketer.get("/console/rules/odd").get_data(as_text=True)
    assert 'href="/console/rules/odd/edit"' not in page
    reason = f"The form cannot show the {', '.join(kinds)} condition"
    assert reason in text_of(marketer.get("/console/rules/odd"))  # said on the page, not only on a redirect
    opened = marketer.get("/console/rules/odd/edit", follow_redirects=True)
    assert reason in text_of(opened)
    assert versions.list_versions(database, "odd")[-1].definition == saved


def test_a_rule_saved_with_a_channel_before_channels_were_checked_is_shown_read_only(marketer, database, clock):
    definition = {"key": "odd", "name": "Odd", "effect": {"kind": "fixed_per_transaction", "points": 5},
                  "conditions": [{"kind": "channel", "values": ["online"]}]}
    versions.create_draft(database, definition, now=clock())
    with database.transaction() as session:  # as a draft saved before the engine refused a channel like "kiosk"
        session.execute(sa.update(RuleVersionRow).where(RuleVersionRow.rule_key == "odd").values(
            definition={**definition, "conditions": [{"kind": "channel", "values": ["kiosk"]}]}))
    saved = latest_definition(database, "odd")
    assert unsupported_conditions(saved, exponent=2) == ["channel"]
    assert 'href="/console/rules/odd/edit"' not in marketer.get("/console/rules/odd").get_data(as_text=True)
    assert "The form cannot show the channel condition" in text_of(marketer.get("/console/rules/odd"))


@pytest.mark.parametrize("fields, field, message", [
    ({"cond_quantity_min": "abc"}, "cond_quantity_min", "Must be a number, such as 1.5."),
    ({"cond_quantity_min": "5", "cond_quantity_max": "2"}, "cond_quantity_max", "Must not be below the minimum."),
    ({"cond_line_amount_min": "1.234"}, "cond_line_amount_min", "Use at most 2 decimals."),
    ({"cond_line_amount_max": "-1"}, "cond_line_amount_max", "Must be a number from 0 to 1000000000000000 with at most 3 decimals."),
    ({"cond_enrolment_age_min": "-3"}, "cond_enrolment_age_min", "Must be a number from 0 to 1000000000000000 with at most 3 decimals."),
    ({"cond_enrolment_age_max": "2.5"}, "cond_enrolment_age_max", "Must be a whole number."),
    ({"cond_attribute_values": "yes"}, "cond_attribute", "Must name the attribute."),
    ({"cond_attribute": "newsletter"}, "cond_attribute_values",
     "Must list at least one text value (up to 200 characters, as attributes are)."),
])
def test_a_wrong_value_in_a_new_condition_is_shown_next_to_its_field_and_nothing_is_saved(
        marketer, database, fields, field, message):
    response = marketer.submit("/console/rules/new", WEEKEND_COFFEE | fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error">{message}<' in html and f'aria-describedby="{field}-error"' in html
    assert html.count('class="error" id=') == 1  # the one problem, and only next to its field
    for name, typed in fields.items():  # what was typed stays in the form
        assert re.search(rf'name="{name}" type="\w+" value="{re.escape(typed)}"', html)
    assert versions.list_versions(database) == []


def test_the_rule_page_describes_the_new_conditions_in_words(marketer):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE | NEW_CONDITIONS)
    page = text_of(marketer.get("/console/rules/weekend-coffee"))
    assert "Channels except: online" in page
    assert "Line quantity at least 1.5 and at most 10" in page
    assert "Line amount at least 1.50 EUR" in page
    assert "Member for at least 30 days and at most 365 days" in page
    assert "Member attribute newsletter is one of: yes, weekly" in page


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



def test_retiring_a_rule_stops_it_earning_from_the_next_sale(marketer, database, clock, make_member, make_basket):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/publish")
    clock.advance(seconds=1)
    retired = marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/retire")
    assert retired.status_code == 302
    assert "is retired" in text_of(marketer.get("/console/rules/weekend-coffee"))
    clock.advance(seconds=1)
    basket = make_basket(make_member(), 450)
    coffee = replace(basket, lines=(replace(basket.lines[0], category="coffee"),))
    earned = earn_points(database, coffee, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert "weekend-coffee" not in [r.rule_key for r in earned.rules]


def test_a_rollback_without_a_chosen_version_is_refused_and_changes_nothing(marketer, database):
    marketer.submit("/console/rules/new", WEEKEND_COFFEE)
    marketer.submit("/console/rules/weekend-coffee", {}, to="/console/rules/weekend-coffee/publish")
    before = versions.list_versions(database, "weekend-coffee")
    refused = marketer.submit("/console/rules/weekend-coffee", {"version": ""}, to="/console/rules/weekend-coffee/rollback")
    assert refused.status_code == 422 and "choose a version" in text_of(refused), text_of(refused)
    assert versions.list_versions(database, "weekend-coffee") == before


@pytest.mark.parametrize("path", ["/console/rules/no-such-rule", "/console/rules/no-such-rule/edit"])
def test_an_unknown_rule_is_a_not_found_page(marketer, path):
    page = marketer.get(path)
    assert page.status_code == 404 and "Page not found" in text_of(page)


def test_a_marketer_tries_a_draft_on_the_last_days_sales(console_as, database, clock, make_member, earn):
    earn(make_member(), 1000)
    versions.create_draft(database, {"key": "sku1-bonus", "name": "50 on SKU1",
                                     "conditions": [{"kind": "sku", "values": ["SKU1"]}],
                                     "effect": {"kind": "fixed_per_transaction", "points": 50}}, now=clock())
    marketer = console_as("marketer")
    assert "sku1-bonus" in text_of(marketer.get("/console/backtest"))
    tried = marketer.submit("/console/backtest", {"days": "7", "draft_keys": "sku1-bonus"})
    assert tried.status_code == 200
    assert "1 sales of 1 members: 10 points as published, 60 with the drafts" in text_of(tried)
    refused = marketer.submit("/console/backtest", {"days": "365"})
    assert refused.status_code == 422 and 'id="days-error"' in refused.get_data(as_text=True)
