"""The console's tier form has a row for every tier of the ladder, however many, and empty
rows below to add more: saving it unchanged keeps the whole ladder."""
import re
from decimal import Decimal

from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, list_tiers

FIELD = re.compile(r'<input name="(tier\d+_\w+)" id="[^"]+" value="([^"]*)"')
SELECTED = re.compile(r'<select id="(\w+)" name="\w+">.*?<option value="([^"]+)" selected', re.S)
NUMBER = re.compile(r'<input id="(\w+)" name="\w+" type="number" value="([^"]*)"')


def the_form_as_shown(page: str) -> dict[str, str]:
    return dict(FIELD.findall(page)) | dict(SELECTED.findall(page)) | dict(NUMBER.findall(page))


def seven_tiers(database, clock):
    ladder = [TierDefinition(f"t{n}", f"Tier {n}", n * 1000, Decimal(1)) for n in range(7)]
    define_tiers(database, ladder, TierPolicy(), now=clock())


def test_a_ladder_of_seven_tiers_saved_unchanged_keeps_all_seven(console_as, database, clock):
    seven_tiers(database, clock)
    marketer = console_as("marketer")
    page = marketer.get("/console/tiers").get_data(as_text=True)
    form = the_form_as_shown(page)
    assert form["tier6_code"] == "t6" and "tier8_code" in form  # the seventh tier, and room for more
    saved = marketer.submit("/console/tiers", form)
    assert saved.status_code == 302
    assert [t.code for t in list_tiers(database)[0]] == [f"t{n}" for n in range(7)]


def test_an_eighth_tier_can_be_added_in_an_empty_row(console_as, database, clock):
    seven_tiers(database, clock)
    marketer = console_as("marketer")
    form = the_form_as_shown(marketer.get("/console/tiers").get_data(as_text=True))
    form |= {"tier7_code": "t7", "tier7_name": "Tier 7", "tier7_threshold": "7000"}
    assert marketer.submit("/console/tiers", form).status_code == 302
    assert [t.code for t in list_tiers(database)[0]][-1] == "t7"
