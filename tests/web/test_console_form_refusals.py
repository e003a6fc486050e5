"""Every console form refuses what it cannot read: the problem is shown next to its field
(status 422) and nothing is saved; an unknown decision is a page not found, and a fault a
page that says nothing changed."""
import pytest

from engine.ledger.approvals import list_adjustment_requests
from engine.ledger.balances import get_balance
from engine.rewards import get_reward, list_rewards
from engine.rules.campaigns import get_campaign, list_campaigns
from engine.tiers.service import list_tiers
from tests.web.conftest import LADDER, text_of

CAMPAIGN = {"code": "summer", "name": "Summer", "starts": "2026-06-01", "ends": "2026-09-01", "budget": "1000",
            "holdout": "10"}


def refused_at(page, field: str, said: str) -> None:
    assert page.status_code == 422, page.status_code
    assert f'id="{field}-error"' in page.get_data(as_text=True)
    assert said in text_of(page)


@pytest.mark.parametrize("change, field, said", [
    ({"starts": "soon"}, "starts", "Give a date, such as 2026-07-01."),
    ({"ends": "31/12/2026"}, "ends", "Give a date, such as 2026-07-01."),
    ({"ends": "9999-12-31T23:59:59-05:00"}, "ends", "Must be an instant with a time zone, from the year 1900 to 9000."),
    ({"starts": "0001-01-01"}, "starts", "Must be an instant with a time zone, from the year 1900 to 9000."),
    ({"holdout": "ten"}, "holdout", "Must be a percentage from 0 to below 100 with at most two decimals"),
    ({"holdout": "150"}, "holdout", "Must be a percentage from 0 to below 100"),
    ({"holdout": "12.345"}, "holdout", "with at most two decimals"),
    ({"holdout": "NaN"}, "holdout", "Must be a percentage"),
    ({"code": "Summer Sale"}, "code", "Must be 1 to 64 lower-case letters, digits"),
    ({"member_cap": "half"}, "member_cap", "Must be a whole number of points."),
    ({"member_cap": "0"}, "member_cap", "Must be a whole number of points from 1 to 10^9."),
    ({"segment": "nosuch"}, "segment", "Unknown segment 'nosuch'.")])
def test_a_campaign_form_problem_is_shown_at_its_field_and_no_campaign_is_made(
        console_as, database, change, field, said):
    refused_at(console_as("marketer").submit("/console/campaigns", CAMPAIGN | change), field, said)
    assert list_campaigns(database) == []


@pytest.mark.parametrize("change, field, said", [
    ({"ends": "next month"}, "ends", "Give a date, such as 2026-07-01."),
    ({"ends": "2020-01-01"}, "ends", "Must be after the campaign's start and after now"),
    ({"budget": "lots"}, "budget", "Must be a whole number of points."),
    ({"budget": "0"}, "budget", "Must be a whole number of points from 1 to 10^12."),
    ({"member_cap": "0"}, "member_cap", "Must be a whole number of points from 1 to 10^9."),
    ({"name": ""}, "name", "Must be a text of 1 to 200 characters."),
    ({}, "name", "Give a new name, end, budget or member cap.")])
def test_a_campaign_change_problem_is_shown_at_its_field_and_the_campaign_stays(
        console_as, database, change, field, said):
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", CAMPAIGN | {"ends": "2099-01-01"})
    before = get_campaign(database, "summer")
    unchanged_form = {"name": "Summer", "ends": "2099-01-01", "budget": "1000", "member_cap": ""}
    refused_at(marketer.submit("/console/campaigns/summer", unchanged_form | change), field, said)
    assert get_campaign(database, "summer") == before


@pytest.mark.parametrize("change, field, said", [
    ({"points_price": "many"}, "points_price", "Must be a whole number."),
    ({"points_price": "5²"}, "points_price", "Must be a whole number."),
    ({"stock": "-1"}, "stock", "Must be a whole number."),
    ({"per_member_limit": "1.5"}, "per_member_limit", "Must be a whole number."),
    ({"tier_price_gold": "cheap"}, "tier_price_gold", "Must be a whole number."),
    ({"voucher_valid_days": "a month"}, "voucher_valid_days", "Must be a whole number."),
    ({"voucher_valid_days": "0"}, "voucher_valid_days", "Must be a whole number of days from 1 to 3,650"),
    ({"code": ""}, "code", "Must be 1 to 32 letters, digits, '-' or '_'")])
def test_a_reward_form_problem_is_shown_at_its_field_and_no_reward_is_made(
        console_as, database, clock, change, field, said):
    marketer = console_as("marketer")
    assert marketer.submit("/console/tiers", LADDER).status_code == 302
    page = marketer.submit("/console/programme", {"code": "MUG", "name": "Mug", "points_price": "500"} | change)
    refused_at(page, field, said)
    assert list_rewards(database, as_of=clock()) == []


@pytest.mark.parametrize("change, field, said", [
    ({"points_price": "free"}, "points_price", "Must be a whole number."),
    ({"points_price": "0"}, "points_price", "Must be a whole number from 1 to 1,000,000,000."),
    ({"per_member_limit": ""}, "per_member_limit", "A limit cannot be removed."),
    ({"restock": "lots"}, "restock", "Must be a whole number of units"),
    ({"restock": "-5"}, "restock", "Would leave -3 units; there are 2."),
    ({"ends": "someday"}, "ends", "Give a date, such as 2026-07-01."),
    ({"ends": "2000-01-01"}, "ends", "Must be after the reward's start"),
    ({"tier_price_gold": "cheap"}, "tier_price_gold", "Must be a whole number."),
    ({"voucher_valid_days": "soon"}, "voucher_valid_days", "Must be a whole number of days (empty: without end)."),
    ({"voucher_valid_days": "4000"}, "voucher_valid_days", "Must be a whole number of days from 0 to 3,650"),
    ({"name": ""}, "name", "Must be a non-empty text")])
def test_a_reward_change_problem_is_shown_at_its_field_and_the_reward_stays(
        console_as, database, clock, change, field, said):
    marketer = console_as("marketer")
    assert marketer.submit("/console/tiers", LADDER).status_code == 302
    marketer.submit("/console/programme", {"code": "MUG", "name": "Mug", "points_price": "500", "stock": "2",
                                           "per_member_limit": "1"})
    before = get_reward(database, "MUG")
    form = {"name": "Mug", "points_price": "500", "restock": "", "per_member_limit": "1", "ends": ""}
    refused_at(marketer.submit("/console/rewards/MUG", form | change), field, said)
    assert get_reward(database, "MUG") == before


@pytest.mark.parametrize("change, field, said", [
    ({"tier1_threshold": "high"}, "tier1_threshold", "Must be a whole number of points."),
    ({"tier1_earn_multiplier": "fast"}, "tier1_earn_multiplier", "Must be a number, such as 1.5."),
    ({"tier1_earn_multiplier": "NaN"}, "tier1_earn_multiplier", "Must be a number above 0 and at most 100."),
    ({"window_months": "a year"}, "window_months", "Must be a whole number of months."),
    ({"tier1_threshold": "1²"}, "tier1_threshold", "Must be a whole number of points."),
    ({"grace_months": "-1"}, "grace_months", "Must be a whole number of months.")])
def test_a_tier_form_problem_is_shown_at_its_field_and_the_ladder_is_unchanged(
        console_as, database, change, field, said):
    refused_at(console_as("marketer").submit("/console/tiers", LADDER | change), field, said)
    assert list_tiers(database) == ([], None)


@pytest.mark.parametrize("form, field, said", [
    ({"points": "ten", "reason": "goodwill"}, "points", "Must be a whole number of points"),
    ({"points": "", "reason": "goodwill"}, "points", "Must be a whole number of points"),
    ({"points": "²", "reason": "goodwill"}, "points", "Must be a whole number of points"),
    ({"points": "--5", "reason": "goodwill"}, "points", "Must be a whole number of points"),
    ({"points": "9" * 5000, "reason": "goodwill"}, "points", "Must be a whole number of points"),
    ({"points": "50", "reason": ""}, "reason", "Is required.")])
def test_an_adjustment_the_console_cannot_read_is_shown_at_its_field_and_moves_no_points(
        console_as, make_member, database, clock, form, field, said):
    member = make_member(points=100)
    page = console_as("support").submit(f"/console/members/{member.public_id}", form)
    refused_at(page, field, said)
    assert get_balance(database, member.public_id, as_of=clock()).balance == 100
    assert list_adjustment_requests(database, status=None) == []


@pytest.mark.parametrize("form, field, said", [
    ({"store_code": "NOSUCH"}, "store_code", "Choose a store."),
    ({"when": "tomorrow at noon"}, "when", "Give a date and time, such as 2026-12-05T10:30."),
    ({"member": "member", "member_id": "MNOSUCH"}, "member_id", "Unknown member 'MNOSUCH'."),
    ({"line0_sku": "", "line0_amount": ""}, "line0", "Type at least one line"),
    ({"line0_quantity": "0"}, "line0", "Line 1: give a quantity above 0"),
    ({"line0_amount": "4.505"}, "line0", "Line 1: give a quantity above 0 and an amount such as 4.50."),
    ({"line0_amount": "Infinity"}, "line0", "Line 1: give a quantity above 0"),
    ({"line0_quantity": "NaN"}, "line0", "Line 1: give a quantity above 0"),
    ({"line0_amount": "9e999999"}, "line0", "Line 1: give a quantity above 0"),
    ({"draft_keys": "nosuch"}, "draft_keys", "Rule 'nosuch' has no draft.")])  # e.g. published meanwhile
def test_a_simulation_it_cannot_run_names_the_field_and_shows_no_result(console_as, till, form, field, said):
    page = console_as("marketer").submit("/console/simulate", {
        "store_code": till.store_code, "member": "hypothetical", "line0_sku": "LATTE", "line0_amount": "4.50"} | form)
    refused_at(page, field, said)
    assert "Points this basket earns" not in text_of(page)


def test_an_unknown_decision_on_an_adjustment_is_a_page_not_found(console_as):
    page = console_as("support").submit("/console/adjustments", {}, to="/console/adjustments/AR1/maybe")
    assert page.status_code == 404 and "Page not found" in text_of(page)


def test_a_fault_in_a_console_page_shows_a_page_that_says_nothing_changed(console_as, monkeypatch):
    marketer = console_as("marketer")

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("engine.rules.campaigns.list_campaigns", broken)
    page = marketer.get("/console/campaigns")
    assert page.status_code == 500
    assert "Something went wrong" in text_of(page) and "Nothing was changed" in text_of(page)
    assert "the database went away" not in text_of(page)
