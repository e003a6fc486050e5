"""An end typed as a date on the console's forms is the last day, included: the reward or
campaign ends when that day ends in the programme's time zone (midnight at the start of the
next day); the pages show that last day, and a form showing an end saves it unchanged."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.rewards import change_reward, create_reward, get_reward, list_rewards
from engine.rules.campaigns import create_campaign, get_campaign
from engine.settings import update_settings
from tests.web.conftest import text_of

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YEAR = datetime(2027, 1, 1, tzinfo=BERLIN)  # the end of 31 Dec 2026 in Berlin


@pytest.fixture
def marketer(console_as, database, clock):
    update_settings(database, {"timezone": "Europe/Berlin"}, now=clock())
    return console_as("marketer")


@pytest.fixture
def mug(database, clock):
    return create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())


def test_a_rewards_last_day_typed_on_its_page_is_included(marketer, database, mug):
    changed = marketer.submit("/console/rewards/MUG", {"name": "Mug", "points_price": "300", "ends": "2026-12-31"})
    assert changed.status_code == 302
    assert get_reward(database, "MUG").valid_until == NEW_YEAR
    assert [r.code for r in list_rewards(database, as_of=datetime(2026, 12, 31, 23, 30, tzinfo=BERLIN))] == ["MUG"]
    assert list_rewards(database, as_of=NEW_YEAR) == []


def test_a_rewards_page_shows_its_last_day(marketer, database, clock, mug):
    change_reward(database, "MUG", valid_until=NEW_YEAR, now=clock())
    page = marketer.get("/console/rewards/MUG")
    assert "until 31 Dec 2026" in text_of(page) and "1 Jan 2027" not in text_of(page)
    assert 'name="ends" type="text" value="2026-12-31"' in page.get_data(as_text=True)


def test_a_rewards_end_saved_unchanged_from_its_page_stays_where_it_was(marketer, database, mug):
    marketer.submit("/console/rewards/MUG", {"name": "Mug", "points_price": "300", "ends": "2026-12-31"})
    again = marketer.submit("/console/rewards/MUG", {"name": "Mug", "points_price": "300", "ends": "2026-12-31",
                                                     "voucher_valid_days": "14"})
    assert again.status_code == 302
    assert get_reward(database, "MUG").valid_until == NEW_YEAR


def test_an_end_given_as_an_instant_is_kept_as_given(marketer, database, mug):
    marketer.submit("/console/rewards/MUG", {"name": "Mug", "points_price": "300", "ends": "2026-12-31T15:00:00+01:00"})
    assert get_reward(database, "MUG").valid_until == datetime(2026, 12, 31, 15, tzinfo=BERLIN)
    assert 'value="2026-12-31T14:00:00+00:00"' in marketer.get("/console/rewards/MUG").get_data(as_text=True)


def test_a_campaigns_last_day_typed_on_the_new_form_is_included_and_shown(marketer, database):
    made = marketer.submit("/console/campaigns", {"code": "winter", "name": "Winter", "starts": "2026-12-01",
                                                  "ends": "2026-12-31", "holdout": "0"})
    assert made.status_code == 302
    assert get_campaign(database, "winter").ends_at == NEW_YEAR
    listed = " ".join(text_of(marketer.get("/console/campaigns")).split())
    assert "1 Dec 2026 31 Dec 2026" in listed and "1 Jan 2027" not in listed
    assert "Until 31 Dec 2026" in text_of(marketer.get("/console/campaigns/winter"))


def test_a_campaign_ending_at_midnight_shows_the_day_before_as_its_last(marketer, database, clock):
    create_campaign(database, code="winter", name="Winter", starts_at=clock(), ends_at=NEW_YEAR, now=clock())
    page = marketer.get("/console/campaigns/winter")
    assert "Until 31 Dec 2026" in text_of(page) and "Until 1 Jan 2027" not in text_of(page)
    assert 'name="ends" type="text" value="2026-12-31"' in page.get_data(as_text=True)


def test_a_campaigns_end_saved_unchanged_from_its_page_stays_where_it_was(marketer, database, clock):
    create_campaign(database, code="winter", name="Winter", starts_at=clock(), ends_at=NEW_YEAR, budget=1000,
                    now=clock())
    saved = marketer.submit("/console/campaigns/winter", {"name": "Winter", "ends": "2026-12-31", "budget": "2000"})
    assert saved.status_code == 302
    assert (get_campaign(database, "winter").ends_at, get_campaign(database, "winter").budget) == (NEW_YEAR, 2000)


def test_a_campaigns_new_last_day_typed_on_its_page_is_included(marketer, database, clock):
    create_campaign(database, code="winter", name="Winter", starts_at=clock(), ends_at=NEW_YEAR, now=clock())
    marketer.submit("/console/campaigns/winter", {"name": "Winter", "ends": "2027-01-31"})
    assert get_campaign(database, "winter").ends_at == datetime(2027, 2, 1, tzinfo=BERLIN)
    assert get_campaign(database, "winter").ends_at - NEW_YEAR == timedelta(days=31)
