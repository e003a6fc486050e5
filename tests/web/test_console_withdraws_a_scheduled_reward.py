"""A marketer withdraws a reward that has not started yet with its page's button: it is
marked withdrawn and never reaches the catalogue; a refusal a button meets is told in the
console's words, not the API's field names."""
from datetime import timedelta

from engine.rewards import create_reward, get_reward, list_rewards
from engine.rules import versions
from tests.web.conftest import text_of

def test_a_reward_that_has_not_started_is_withdrawn_with_its_button(console_as, database, clock):
    create_reward(database, code="FUT", name="Future mug", points_price=300, valid_from=clock() + timedelta(days=30),
                  now=clock())
    marketer = console_as("marketer")
    withdrawn = marketer.submit("/console/rewards/FUT", {}, to="/console/rewards/FUT/withdraw")
    assert withdrawn.status_code == 302
    assert get_reward(database, "FUT").valid_until == clock()
    assert list_rewards(database, as_of=clock() + timedelta(days=31)) == []
    page = text_of(marketer.get("/console/rewards/FUT"))
    assert "(withdrawn)" in page and "Withdraw Future mug now" not in page
    assert "Future mug FUT (withdrawn)" in text_of(marketer.get("/console/programme"))


def test_a_refusal_behind_a_button_names_no_api_field(console_as, database, clock):
    marketer = console_as("marketer")
    versions.create_draft(database, {"key": "summer-bonus", "name": "Summer bonus", "campaign": "summer",
                                     "effect": {"kind": "fixed_per_transaction", "points": 20}},
                          now=clock())
    refused = marketer.submit("/console/rules/summer-bonus", {}, to="/console/rules/summer-bonus/publish")
    assert refused.status_code == 422
    assert "Rule 'summer-bonus' names unknown campaign 'summer'." in text_of(refused)
    assert "rule_keys" not in text_of(refused).lower()
    assert [v.status for v in versions.list_versions(database, "summer-bonus")] == ["draft"]
