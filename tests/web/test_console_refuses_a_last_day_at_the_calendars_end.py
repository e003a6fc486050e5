"""A last day of 9999-12-31 (a campaign's end, a reward's "in the catalogue until") has no
end the engine can store, the next day's midnight being in the year 10000: the console
says so at the field (422) and saves nothing, as it does for any date past the engine's bounds."""
from engine.rewards import create_reward, get_reward
from engine.rules.campaigns import get_campaign, list_campaigns
from tests.support.assertions import unchanged
from tests.web.conftest import text_of

FAR = "Must be a date from the year 1900 to 9000."
CAMPAIGN = {"code": "summer", "name": "Summer", "starts": "2026-06-01", "ends": "2026-09-01", "budget": "1000"}


def refused_at(page, field: str, said: str) -> None:
    assert page.status_code == 422, page.status_code
    assert f'id="{field}-error"' in page.get_data(as_text=True)
    assert said in text_of(page)


def test_a_new_campaign_ending_on_9999_12_31_is_refused_at_its_last_day(console_as, database):
    marketer = console_as("marketer")
    with unchanged(database):
        page = marketer.submit("/console/campaigns", CAMPAIGN | {"ends": "9999-12-31"})
    refused_at(page, "ends", FAR)
    assert list_campaigns(database) == []


def test_a_campaign_moved_to_end_on_9999_12_31_is_refused_and_keeps_its_end(console_as, database):
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", CAMPAIGN | {"ends": "2099-01-01"})
    before = get_campaign(database, "summer")
    form = {"name": "Summer", "ends": "9999-12-31", "budget": "1000", "member_cap": ""}
    with unchanged(database):
        refused_at(marketer.submit("/console/campaigns/summer", form), "ends", FAR)
    assert get_campaign(database, "summer") == before


def test_a_reward_kept_until_9999_12_31_is_refused_and_keeps_its_end(console_as, database, clock):
    create_reward(database, code="MUG", name="Mug", points_price=500, valid_from=clock(), now=clock())
    marketer = console_as("marketer")
    before = get_reward(database, "MUG")
    form = {"name": "Mug", "points_price": "500", "restock": "", "per_member_limit": "", "ends": "9999-12-31"}
    with unchanged(database):
        refused_at(marketer.submit("/console/rewards/MUG", form), "ends", FAR)
    assert get_reward(database, "MUG") == before
