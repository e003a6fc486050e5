"""Refer a friend in the portal: the home page gives the member's code and a join link that
carries it; a friend who follows the link joins referred; a mistyped code is said in words."""
import pytest
import sqlalchemy as sa

from engine.orm.rules import ReferralRow
from engine.rules.referrals import referral_card
from engine.settings import update_settings
from tests.web.conftest import text_of


@pytest.fixture
def referral_bonuses(database, clock):
    update_settings(database, {"referrer_points": 500, "referred_points": 250, "referral_min_total_minor": 1000},
                    now=clock())


def test_the_home_page_gives_the_code_the_link_and_what_each_friend_gets(browser, member_with_login, database,
                                                                         clock, referral_bonuses):
    member = member_with_login()
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    code = referral_card(database, member.public_id, now=clock()).code
    assert f"Give a friend your code {code}" in page and f"/portal/join?referral={code}" in page
    assert "of at least EUR 10.00, you get 500 points and they get 250" in page


def test_without_referral_bonuses_the_home_page_says_nothing_of_referrals(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    assert "Refer a friend" not in text_of(browser.get("/portal/"))


def test_a_friend_who_follows_the_link_joins_referred(browser, make_browser, member_with_login, database, clock,
                                                      referral_bonuses):
    code = referral_card(database, member_with_login().public_id, now=clock()).code
    friend = make_browser()
    assert f'value="{code}"' in friend.get(f"/portal/join?referral={code}").get_data(as_text=True)
    joined = friend.submit(f"/portal/join?referral={code}", {"full_name": "Grace Hopper",
                                                             "email": "grace@example.org", "referral_code": code})
    assert joined.status_code == 200 and "A link to set your password is on its way" in text_of(joined)
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReferralRow)) == 1


def test_a_mistyped_code_is_said_at_its_field_and_nobody_joins(browser, database, referral_bonuses):
    refused = browser.submit("/portal/join", {"full_name": "Grace Hopper", "email": "grace@example.org",
                                              "referral_code": "NOPE2345"})
    assert refused.status_code == 422 and "No member has this referral code" in text_of(refused)
    with database.transaction() as session:
        assert session.scalar(sa.text("SELECT COUNT(*) FROM members")) == 0
