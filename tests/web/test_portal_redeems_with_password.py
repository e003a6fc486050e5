"""On the portal, a reward above the programme's ``online_redeem_password_above`` has a
password field next to its Redeem button; without the right password nothing is redeemed."""
import pytest

from engine.ledger.balances import get_balance
from engine.rewards import create_reward, list_vouchers
from engine.settings import update_settings
from tests.web.conftest import PASSWORD, text_of


@pytest.fixture
def member_signed_in(browser, member_with_login, database, clock):
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, valid_from=clock(), now=clock())
    create_reward(database, code="BAG", name="Tote bag", points_price=2000, valid_from=clock(), now=clock())
    update_settings(database, {"online_redeem_password_above": 1000}, now=clock())
    member = member_with_login(points=3000)
    browser.sign_in(member.email)
    return member


def test_only_the_reward_above_the_price_asks_for_the_password(browser, member_signed_in):
    home = browser.get("/portal/").get_data(as_text=True)
    assert home.count('type="password" name="password"') == 1
    assert 'aria-label="Your password to redeem Tote bag"' in home


@pytest.mark.parametrize("password, says", [
    ("", "it needs your password as well: type it next to the reward."),
    ("not my password", "Password: wrong password."),
])
def test_without_the_right_password_nothing_is_redeemed(browser, member_signed_in, database, clock, password, says):
    page = browser.submit("/portal/", {"form_key": "k-1", "password": password}, to="/portal/rewards/BAG/redeem",
                          follow_redirects=True)
    assert f"That reward could not be redeemed: {says}" in text_of(page)
    assert list_vouchers(database, member_signed_in.public_id) == []
    assert get_balance(database, member_signed_in.public_id, as_of=clock()).available == 3000


def test_with_the_password_the_voucher_is_issued(browser, member_signed_in, database, clock):
    page = browser.submit("/portal/", {"form_key": "k-1", "password": PASSWORD}, to="/portal/rewards/BAG/redeem",
                          follow_redirects=True)
    [voucher] = list_vouchers(database, member_signed_in.public_id)
    assert f"Your voucher code is {voucher.voucher_code}" in text_of(page)
    assert get_balance(database, member_signed_in.public_id, as_of=clock()).available == 1000
