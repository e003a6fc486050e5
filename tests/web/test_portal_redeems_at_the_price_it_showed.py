"""A reward whose price changed between the page and the click is not redeemed: the portal
says its price has changed and spends nothing; the page then shows the new price."""
import re

from engine.ledger.balances import get_balance
from engine.rewards import change_reward, create_reward, list_vouchers
from tests.support.assertions import unchanged
from tests.web.conftest import text_of

FORM = re.compile(r'<form method="post" action="/portal/rewards/COFFEE/redeem".*?</form>', re.S)


def test_a_price_raised_after_the_page_was_shown_is_refused_and_nothing_is_spent(
        browser, member_with_login, database, clock):
    create_reward(database, code="COFFEE", name="Free coffee", points_price=150, valid_from=clock(), now=clock())
    member = member_with_login(points=900)
    browser.sign_in(member.email)
    form = FORM.search(browser.get("/portal/").get_data(as_text=True)).group(0)
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert fields["expected_points"] == "150"
    change_reward(database, "COFFEE", points_price=800, now=clock())
    with unchanged(database):
        page = browser.client.post("/portal/rewards/COFFEE/redeem", data=fields, follow_redirects=True)
    assert "That reward could not be redeemed: its price has changed since the page was shown" in text_of(page)
    assert "Free coffee · 800 points Redeem" in text_of(page)
    assert list_vouchers(database, member.public_id) == []
    assert get_balance(database, member.public_id, as_of=clock()).available == 900
