"""The portal gives a member a payment code for a web shop's order: shown once on its answer
page, good for the points they chose; refusals are told next to their field."""
import re

from engine import stores
from engine.ledger.commands import PlaceHold
from engine.ledger.holds import place_hold
from engine.payment_codes import payment_codes_of, take_payment_code
from engine.settings import update_settings
from tests.conftest import new_key
from tests.web.conftest import PASSWORD, text_of

CODE = re.compile(r'id="payment-code">([0-9A-Z-]{14})<')


def web_shop(database, clock):
    stores.create_store(database, code="WEB", name="Web shop", timezone="Europe/Berlin", channel="online",
                        now=clock())
    stores.create_terminal(database, code="WEB-BACKEND", store_code="WEB", now=clock())


def test_the_home_page_leads_to_paying_online_when_the_chain_has_a_web_shop(browser, member_with_login, database,
                                                                            clock):
    member = member_with_login(points=500)
    browser.sign_in(member.email)
    assert 'id="pay-online"' not in browser.get("/portal/").get_data(True)
    web_shop(database, clock)
    assert 'id="pay-online"' in browser.get("/portal/").get_data(True)


def test_a_member_gets_a_code_the_web_shop_pays_with(browser, member_with_login, database, clock):
    web_shop(database, clock)
    member = member_with_login(points=500)
    browser.sign_in(member.email)

    page = browser.submit("/portal/pay-online", {"points": "300", "form_key": new_key()})

    assert page.status_code == 200
    code = CODE.search(page.get_data(True)).group(1)
    assert "up to 300 points of one order" in text_of(page)
    assert code not in str(browser.client.get_cookie("session").value)

    def verify(session):
        take_payment_code(session, terminal_code="WEB-BACKEND", member_id=member.public_id, code=code, points=300,
                          now=clock())
    held = place_hold(database, PlaceHold("WEB", "WEB-BACKEND", 300, member_id=member.public_id),
                      caller="WEB-BACKEND", idempotency_key=new_key(), now=clock(), verify=verify)
    assert held.points == 300


def test_points_that_are_no_number_are_refused_next_to_the_field(browser, member_with_login, database, clock):
    web_shop(database, clock)
    member = member_with_login(points=500)
    browser.sign_in(member.email)
    page = browser.submit("/portal/pay-online", {"points": "lots", "form_key": new_key()})
    assert page.status_code == 422
    assert '<p class="error" id="points-error">Type a whole number of points.</p>' in page.get_data(True)
    assert payment_codes_of(database, member.public_id) == []


def test_more_points_than_the_session_may_spend_ask_for_the_password(browser, member_with_login, database, clock):
    web_shop(database, clock)
    update_settings(database, {"online_redeem_password_above": 200}, now=clock())
    member = member_with_login(points=500)
    browser.sign_in(member.email)

    refused = browser.submit("/portal/pay-online", {"points": "300", "form_key": new_key()})
    assert refused.status_code == 422
    assert "need your password as well" in text_of(refused)
    assert payment_codes_of(database, member.public_id) == []

    issued = browser.submit("/portal/pay-online", {"points": "300", "password": PASSWORD, "form_key": new_key()})
    assert issued.status_code == 200 and CODE.search(issued.get_data(True))
